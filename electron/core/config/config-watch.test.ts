import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConfigChangedOnDiskT } from '../api/contract/config'
import { ConfigService } from './config-service'
import { sha256 } from './config-writer'
import { watchConfig, type ConfigChangeEvent } from './config-watch'
import { withEdits } from './__fixtures__/value-path'

const ROOT = resolve(import.meta.dirname, '../../..')
const EXAMPLE = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(20)
  }
}

let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-config-watch-'))
  file = join(dir, 'config.toml')
  writeFileSync(file, EXAMPLE)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('watchConfig', () => {
  it('reports an external write once, with the new hash; a rename-replace too', async () => {
    const seen: ConfigChangeEvent[] = []
    const w = watchConfig(file, (e) => seen.push(e), { debounceMs: 50 })
    await w.ready
    try {
      const next = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41')
      // An editor writing in several chunks is still one change.
      writeFileSync(file, next.slice(0, 100))
      writeFileSync(file, next)
      await until(() => seen.length > 0)
      await sleep(300)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ hash: sha256(next), text: next, previousHash: sha256(EXAMPLE) })

      // Atomic replace by another tool: new inode, the directory watch still sees it.
      const third = next.replace('max_open_orders = 41', 'max_open_orders = 42')
      writeFileSync(join(dir, 'tmp-editor'), third)
      renameSync(join(dir, 'tmp-editor'), file)
      await until(() => seen.length > 1)
      await sleep(300)
      expect(seen.map((e) => e.hash)).toEqual([sha256(next), sha256(third)])

      // Touching other files in the directory is not a change.
      writeFileSync(join(dir, 'unrelated.txt'), 'x')
      await sleep(300)
      expect(seen).toHaveLength(2)
    } finally {
      w.close()
    }
  })
})

describe('ConfigService watching', () => {
  it('emits config.changedOnDisk for external edits only, not for its own saves', async () => {
    const events: ConfigChangedOnDiskT[] = []
    const s = new ConfigService({
      configPath: file,
      schemaPath: join(ROOT, 'schemas/config.schema.json'),
      keepBackups: 5,
      hub: { emit: (_name, payload) => events.push(payload) },
      watch: { debounceMs: 50 },
    })
    await s.start()
    try {
      const l = await s.load()
      const v = withEdits(l.value, { '/risk/max_open_orders': 77 })
      const saved = await s.save({ value: v, baseHash: l.hash })
      await sleep(500)
      expect(events).toEqual([])

      const external = readFileSync(file, 'utf8').replace('max_open_orders = 77', 'max_open_orders = = 78')
      writeFileSync(file, external)
      await until(() => events.length > 0)
      await sleep(300)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ path: file, hash: sha256(external), previousHash: saved.hash, valid: false })
    } finally {
      await s.stop()
    }
  })
})
