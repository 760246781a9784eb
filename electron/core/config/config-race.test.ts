/**
 * Issue 13 item 6 with the race that reproduced it: an outside program edits config.toml 0–3 ms
 * after a save's temp or backup file appears, hundreds of times, against real files, with the
 * editor in its own process. Every outside edit must end up either live on disk (the save said
 * conflict, or the edit came after the rename) or in the backup the save reports as
 * `outsideEditKept`. Seeded: STACKDECK_RACE_SEED=<n> replays a run.
 */
import { fork, type ChildProcess } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  renameSync,
  writeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CoreError } from '../errors'
import { ConfigService, type SaveResult } from './config-service'
import { backupAndWrite, sha256 } from './config-writer'

const ROOT = resolve(import.meta.dirname, '../../..')
const SCHEMA = join(ROOT, 'schemas/config.schema.json')
const EXAMPLE = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
const CHILD_TS = join(import.meta.dirname, '__fixtures__/outside-editor-child.ts')
const SEED = Number(process.env['STACKDECK_RACE_SEED'] ?? 13013)
const RACES = Number(process.env['STACKDECK_RACE_COUNT'] ?? 240)
// tmpfs when there is one: fsync is nearly free there, so a save goes from its temp file to the
// rename in well under a millisecond and the 0–3 ms edits land before, inside and after the
// check-and-rename window. On a disk, fsync alone often outlasts 3 ms and every edit is caught
// by the early checks, which would leave the window itself untested.
const RACE_ROOT = process.env['STACKDECK_RACE_DIR'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())

/** mulberry32: small, seedable, good enough to spread delays and sizes. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

let work: string
let childCmd: { path: string; execArgv: string[] }

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sd-config-race-'))
  try {
    const { build } = await import('esbuild')
    const out = join(work, 'editor.cjs')
    await build({
      entryPoints: [CHILD_TS],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: out,
      logLevel: 'error',
    })
    childCmd = { path: out, execArgv: [] }
  } catch {
    childCmd = { path: CHILD_TS, execArgv: ['--import', 'tsx'] }
  }
}, 60_000)

const dirs: string[] = []
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

type Outcome =
  | 'saved, edit overwritten and REPORTED lost'
  | 'conflict, edit live'
  | 'saved, edit kept in backup'
  | 'saved, edit came after'
  | 'edit did not fire'
  | 'LOST'

/** A child that answers messages in order; `next(pred)` waits for the first matching one. */
function editor(configPath: string) {
  const child: ChildProcess = fork(childCmd.path, [configPath], {
    execArgv: childCmd.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const inbox: Array<Record<string, number>> = []
  let wake: (() => void) | null = null
  child.on('message', (m) => {
    inbox.push(m as Record<string, number>)
    wake?.()
  })
  const next = async (pred: (m: Record<string, number>) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = inbox.findIndex(pred)
      if (i >= 0) return inbox.splice(i, 1)[0] as Record<string, number>
      const left = deadline - Date.now()
      if (left <= 0) return null
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        wake = () => {
          clearTimeout(t)
          r()
        }
      })
    }
  }
  return { child, next, send: (m: object) => child.send(m) }
}

async function race(mode: 'inplace' | 'rename', seed: number) {
  const dir = mkdtempSync(join(RACE_ROOT, `sd-config-race-${mode}-`))
  dirs.push(dir)
  const file = join(dir, 'config.toml')
  writeFileSync(file, EXAMPLE)
  const service = new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 5 })
  const ed = editor(file)
  const random = rng(seed)
  const tally = new Map<Outcome, number>()
  const lost: string[] = []
  try {
    for (let round = 0; round < RACES; round++) {
      // Fresh base every round; the edit is sometimes exactly the size of the base (mtime+size
      // alone would miss it) and sometimes not.
      const base = `${EXAMPLE}# round ${round}: base\n`
      const saved = `${EXAMPLE}# round ${round}: saved by stackdeck\n`
      const sameSize = random() < 0.5
      const edit = sameSize
        ? `${EXAMPLE}# round ${round}: EDIT\n`
        : `${EXAMPLE}# round ${round}: outside edit${' '.repeat(Math.floor(random() * 400))}\n`
      if (sameSize) expect(Buffer.byteLength(edit)).toBe(Buffer.byteLength(base))
      writeFileSync(file, base)
      const trigger = random() < 0.5 ? 'bak' : 'tmp'
      const delayMs = random() * 3
      ed.send({ round, trigger, delayMs, mode, text: edit })
      expect(await ed.next((m) => m['armed'] === round, 5_000)).not.toBeNull()

      let res: SaveResult | null = null
      let err: CoreError | null = null
      try {
        res = await service.save({ text: saved, baseHash: sha256(base) })
      } catch (e) {
        // Only a conflict is an acceptable answer to a raced save; anything else fails the test.
        if (!(e instanceof CoreError && e.code === 'conflict')) throw e
        err = e
      }
      let fired = await ed.next((m) => m['fired'] === round, 1_000)
      if (!fired) {
        ed.send({ disarm: round })
        const ack = await ed.next((m) => m['fired'] === round || m['disarmed'] === round, 5_000)
        fired = ack && ack['fired'] === round ? ack : null
        if (fired) await ed.next((m) => m['disarmed'] === round, 5_000)
      }
      if (process.env['STACKDECK_RACE_DEBUG'] && err)
        console.log(
          `r${round} ${trigger} +${delayMs.toFixed(2)}: ${err.message.replace(/.*\(/, '(').slice(0, 60)}`,
        )

      const live = readFileSync(file, 'utf8')
      // Never torn: the live file is one of the two writers' complete contents.
      expect([saved, edit, ...(fired ? [] : [base])]).toContain(live)
      let outcome: Outcome
      if (!fired) outcome = 'edit did not fire'
      else if (err) outcome = live === edit ? 'conflict, edit live' : 'LOST'
      else if (res?.outsideEditKept && readFileSync(join(dir, res.outsideEditKept), 'utf8') === edit)
        outcome = 'saved, edit kept in backup'
      else if (live === edit) outcome = 'saved, edit came after'
      else if (res?.outsideEditLost) outcome = 'saved, edit overwritten and REPORTED lost'
      else outcome = 'LOST'
      if (res) {
        // The reported backup is exactly the base the save checked, whatever else happened.
        expect(readFileSync(join(dir, res.backup), 'utf8')).toBe(base)
        if (res.outsideEditKept) expect(res.warnings.join(' ')).toContain(res.outsideEditKept)
        // A reported loss is a real one (never a false alarm about an edit that is in fact safe).
        if (res.outsideEditLost) expect(outcome).toBe('saved, edit overwritten and REPORTED lost')
      }
      if (outcome === 'LOST') {
        lost.push(
          `round ${round} (trigger ${trigger}, +${delayMs.toFixed(2)} ms): ${err ? `conflict: ${err.message}` : `saved, backup ${res?.backup}, kept ${res?.outsideEditKept}`}`,
        )
      }
      tally.set(outcome, (tally.get(outcome) ?? 0) + 1)
    }
    // Nothing of ours is left behind by any of those saves.
    expect(readdirSync(dir).filter((n) => n.startsWith('.config.toml.stackdeck-'))).toEqual([])
  } finally {
    ed.child.kill()
  }
  return { tally: Object.fromEntries(tally), lost }
}

describe('outside edits racing saves', () => {
  it(`in-place edits 0–3 ms after the temp or backup file appears (${RACES} races): none lost`, async () => {
    const started = Date.now()
    const { tally, lost } = await race('inplace', SEED)
    console.log(
      `save race (in place, seed ${SEED}): ${JSON.stringify(tally)}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
    expect(lost, `seed ${SEED}`).toEqual([])
    // Non-vacuous: the edits really landed inside saves, not only before or after them.
    expect(tally['conflict, edit live'] ?? 0).toBeGreaterThan(RACES / 4)
    expect(tally['edit did not fire'] ?? 0).toBeLessThan(RACES / 20)
  }, 120_000)

  it(`edits by rename 0–3 ms after the temp or backup file appears (${RACES} races): only the documented window loses any`, async () => {
    const started = Date.now()
    const { tally, lost } = await race('rename', SEED + 1)
    console.log(
      `save race (by rename, seed ${SEED + 1}): ${JSON.stringify(tally)}, lost ${lost.length}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
    for (const l of lost) console.log(`  lost: ${l}`)
    expect(tally['conflict, edit live'] ?? 0).toBeGreaterThan(RACES / 4)
    // The one window POSIX leaves open (README, config writes): a rename-replace between the last
    // stat and our rename(2) overwrites the edit; no code can close it (measured 0-1 per 240 races
    // here). On Linux the save then sees it in the directory's inotify order and reports it
    // (`outsideEditLost`), so nothing is lost SILENTLY; elsewhere allow the measured rate.
    if (process.platform === 'linux') expect(lost, `seed ${SEED + 1}`).toEqual([])
    else expect(lost.length, `seed ${SEED + 1}: ${lost.join('; ')}`).toBeLessThanOrEqual(3)
  }, 120_000)
})

describe('an in-place edit between the last check and the rename (placed there, not raced)', () => {
  it('is kept in the backup the save reports, even while its writer is still writing', async () => {
    const dir = mkdtempSync(join(work, 'window-'))
    const file = join(dir, 'config.toml')
    const base = `${EXAMPLE}# base\n`
    writeFileSync(file, base)
    const head = `${EXAMPLE}# outside edit, first half;`
    const tail = ' second half written after the save returned\n'
    let fd = -1
    const res = await backupAndWrite(file, `${EXAMPLE}# saved\n`, sha256(base), {
      keepBackups: 1,
      // An editor opens with O_TRUNC and writes part of its text right in the window.
      beforeRenameForTests: () => {
        fd = openSync(file, 'w')
        writeSync(fd, head)
      },
    })
    // ...and finishes after the save: its fd still points at the replaced inode.
    writeSync(fd, tail)
    closeSync(fd)

    expect(readFileSync(file, 'utf8')).toBe(`${EXAMPLE}# saved\n`)
    // Its own backup, beside the save's: `.1` when both fall in the same second, a new stamp otherwise.
    expect(res.outsideEditKept).toMatch(/^config\.toml\.bak\.\d{8}_\d{6}(\.\d+)?$/)
    expect(res.outsideEditKept).not.toBe(res.backup)
    expect(readFileSync(join(dir, res.outsideEditKept as string), 'utf8')).toBe(head + tail)
    expect(res.warnings.join(' ')).toContain(
      `its edit (sha256 ${sha256(head).slice(0, 12)}) is kept in backup ${res.outsideEditKept}`,
    )
    // keepBackups 1 would prune one of the two: both are reported, so both stay.
    expect(readFileSync(join(dir, res.backup), 'utf8')).toBe(base)
    expect(readdirSync(dir).sort()).toEqual(['config.toml', res.backup, res.outsideEditKept].sort())
  })

  it('a rename-replace there cannot be kept, but on Linux the save reports it lost', async () => {
    const dir = mkdtempSync(join(work, 'window-'))
    const file = join(dir, 'config.toml')
    writeFileSync(file, EXAMPLE)
    const res = await backupAndWrite(file, `${EXAMPLE}# saved\n`, sha256(EXAMPLE), {
      keepBackups: 3,
      beforeRenameForTests: () => {
        writeFileSync(join(dir, 'sed-tmp'), `${EXAMPLE}# sed -i\n`)
        renameSync(join(dir, 'sed-tmp'), file)
      },
    })
    expect(readFileSync(file, 'utf8')).toBe(`${EXAMPLE}# saved\n`)
    expect(res.outsideEditKept).toBeNull()
    if (process.platform !== 'linux') return
    expect(res.outsideEditLost).toBe(true)
    expect(res.warnings.join(' ')).toContain('replaced')
  })

  it('an unchanged file in the window reports nothing kept', async () => {
    const dir = mkdtempSync(join(work, 'window-'))
    const file = join(dir, 'config.toml')
    writeFileSync(file, EXAMPLE)
    const res = await backupAndWrite(file, `${EXAMPLE}# saved\n`, sha256(EXAMPLE), {
      keepBackups: 3,
      beforeRenameForTests: () => undefined,
    })
    expect(res.outsideEditKept).toBeNull()
    expect(res.outsideEditLost).toBe(false)
    expect(res.warnings).toEqual([])
    expect(readdirSync(dir).sort()).toEqual(['config.toml', res.backup].sort())
  })
})
