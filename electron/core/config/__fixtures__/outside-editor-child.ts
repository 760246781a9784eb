/**
 * Child process for the save-race test: an "outside program" that edits config.toml at the worst
 * moment. For each round the parent arms it with a trigger (`bak` or `tmp`), a delay and the bytes
 * to write; the child watches the directory and, 0–3 ms after the save's temp or backup temp file
 * appears, writes those bytes in place (truncate + write, like most editors and `>`) or by rename
 * (write a side file, rename it over, like `sed -i`). It is a separate process so the edit really
 * runs in parallel with the save, not between its awaits.
 * argv: <config path>; messages: {round, trigger, delayMs, mode, text} -> {armed} ... {fired}
 */
import { renameSync, watch, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'

interface Arm {
  round: number
  trigger: 'bak' | 'tmp'
  delayMs: number
  mode: 'inplace' | 'rename'
  text: string
}

const target = process.argv[2]
if (!target) throw new Error('usage: outside-editor-child <config path>')
const dir = dirname(target)
const prefix = `.${basename(target)}.stackdeck-`
let armed: Arm | null = null

const send = (m: object) => process.send?.(m)

function fire(a: Arm): void {
  // Spin rather than setTimeout: timers cannot wait 0.3 ms, and the spread of delays is the point.
  const until = performance.now() + a.delayMs
  while (performance.now() < until) {
    // busy wait
  }
  if (a.mode === 'inplace') {
    writeFileSync(target as string, a.text)
  } else {
    const side = join(dir, `outside-edit-${a.round}.tmp`)
    writeFileSync(side, a.text)
    renameSync(side, target as string)
  }
  send({ fired: a.round })
}

watch(dir, (_event, name) => {
  const a = armed
  if (!a || typeof name !== 'string' || !name.startsWith(`${prefix}${a.trigger}-`)) return
  armed = null
  fire(a)
})

process.on('message', (m: Arm | { disarm: number }) => {
  if ('disarm' in m) {
    if (armed?.round === m.disarm) armed = null
    send({ disarmed: m.disarm })
    return
  }
  armed = m
  send({ armed: m.round })
})
process.on('disconnect', () => process.exit(0))
