import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAjv } from '../api/ajv'
import { configOperations } from '../api/contract/config'
import { CoreError } from '../errors'
import { createConfigHandlers } from './config-handlers'
import { createConfigPort } from '../workflow/config-port'
import { ConfigService } from './config-service'
import { sha256 } from './config-writer'
import { applyHintAt } from './schema-store'
import { setAt, withEdits } from './__fixtures__/value-path'

const ROOT = resolve(import.meta.dirname, '../../..')
const SCHEMA = join(ROOT, 'schemas/config.schema.json')
const EXAMPLE = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')

let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-config-test-'))
  file = join(dir, 'config.toml')
  writeFileSync(file, EXAMPLE)
})
afterEach(() => {
  try {
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' })
  } catch {
    /* not immutable / no chattr */
  }
  chmodSync(dir, 0o755)
  rmSync(dir, { recursive: true, force: true })
})

/** A clock frozen at `iso` unless moved. */
function fixedClock(iso: string) {
  let now = new Date(iso)
  const clock = () => now
  clock.set = (s: string) => (now = new Date(s))
  return clock
}

const service = (extra: Partial<ConfigConstructorOpts> = {}) =>
  new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 10, ...extra })
type ConfigConstructorOpts = ConstructorParameters<typeof ConfigService>[0]

async function codeOf(p: Promise<unknown>): Promise<CoreError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError)
    return err as CoreError
  }
  throw new Error('expected a CoreError')
}

const backups = () => readdirSync(dir).filter((n) => n.includes('.bak.')).sort()
const strays = () => readdirSync(dir).filter((n) => n.startsWith('.'))

describe('schema', () => {
  it('the example config validates', async () => {
    const l = await service().load()
    expect(l.errors).toEqual([])
    expect(l.valid).toBe(true)
    expect(l.value).toMatchObject({ schedule: { start: '09:30', stop: '16:00:00', holidays: ['2025-12-25', '2026-01-01', '2026-01-19'] } })
  })

  it('every property in the schema carries x-apply', () => {
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>
    const missing: string[] = []
    const visit = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return
      const n = node as Record<string, unknown>
      for (const [k, child] of Object.entries((n['properties'] as Record<string, unknown>) ?? {})) {
        if (!(child as Record<string, unknown>)['x-apply']) missing.push(`${at}/${k}`)
        visit(child, `${at}/${k}`)
      }
      for (const k of ['items', 'additionalProperties']) visit(n[k], `${at}/${k}`)
      for (const [k, d] of Object.entries((n['definitions'] as Record<string, unknown>) ?? {})) visit(d, `#${k}`)
    }
    visit(schema, '')
    expect(missing).toEqual([])
  })

  it('x-apply lookup follows $ref, additionalProperties and inheritance', () => {
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as unknown
    expect(applyHintAt(schema, ['risk', 'max_position'])).toBe('hot')
    expect(applyHintAt(schema, ['scanner', 'workers'])).toBe('restart')
    expect(applyHintAt(schema, ['agents', 'momentum', 'strategy'])).toBe('restart')
    expect(applyHintAt(schema, ['agents', 'momentum', 'enabled'])).toBe('hot')
    expect(applyHintAt(schema, ['agents', 'momentum', 'params', 'lookback_bars'])).toBe('hot')
    expect(applyHintAt(schema, ['schedule', 'early_closes', '1', 'stop'])).toBe('hot')
    expect(applyHintAt({ type: 'object' }, ['x'])).toBe('unknown')
  })

  it('schema errors carry a JSON pointer, a readable message and the TOML line', async () => {
    const bad = EXAMPLE.replace('max_position = 5_000', 'max_position = -5').replace(
      'timezone = "America/New_York"',
      'timezone = "Mars/Olympus_Mons"',
    )
    const r = await service().validate({ text: bad })
    expect(r.ok).toBe(false)
    expect(r.errorKind).toBe('schema')
    const lines = bad.split('\n')
    const pos = r.errors.find((e) => e.path === '/risk/max_position')
    expect(pos?.message).toMatch(/>= 0/)
    expect(lines[(pos?.line ?? 0) - 1]).toMatch(/^max_position = -5/)
    const tz = r.errors.find((e) => e.path === '/schedule/timezone')
    expect(lines[(tz?.line ?? 0) - 1]).toMatch(/^timezone/)
  })

  it('a badly named agent table is one error, at its header', async () => {
    const bad = EXAMPLE.replace('[agents.meanrev]', '[agents."Mean Rev"]')
    const r = await service().validate({ text: bad })
    expect(r.errors).toEqual([
      {
        path: '/agents/Mean Rev',
        message: expect.stringMatching(/not a valid name/) as unknown,
        line: bad.split('\n').indexOf('[agents."Mean Rev"]') + 1,
        column: 1,
      },
    ])
  })

  it('a missing required key points at its table', async () => {
    const bad = EXAMPLE.replace('strategy = "mean_reversion"\n', '')
    const err = await codeOf(service().save({ text: bad, baseHash: sha256(EXAMPLE) }))
    expect(err.code).toBe('schema_error')
    expect(err.details?.[0]?.path).toBe('/agents/meanrev/strategy')
    expect(err.details?.[0]?.message).toMatch(/required/)
    expect(bad.split('\n')[(err.details?.[0]?.line ?? 0) - 1]).toBe('[agents.meanrev]')
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
  })

  it('parse errors from save name the line and column', async () => {
    const err = await codeOf(service().save({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = = 40'), baseHash: sha256(EXAMPLE) }))
    expect(err.code).toBe('parse_error')
    const line = EXAMPLE.split('\n').findIndex((l) => l.startsWith('max_open_orders')) + 1
    expect(err.details?.[0]).toMatchObject({ line, path: `config.toml:${line}:19` })
  })

  it('recompiles when the schema file changes', async () => {
    const own = join(dir, 'schema.json')
    const schema: unknown = JSON.parse(readFileSync(SCHEMA, 'utf8'))
    writeFileSync(own, JSON.stringify(schema))
    const s = service({ schemaPath: own })
    expect((await s.load()).valid).toBe(true)
    setAt(schema, '/properties/risk/properties/max_position/maximum', 100)
    writeFileSync(own, JSON.stringify(schema))
    utimesSync(own, new Date(), new Date(Date.now() + 5000))
    const l = await s.load()
    expect(l.valid).toBe(false)
    expect(l.errors[0]?.path).toBe('/risk/max_position')
  })

  it('accepts a draft 2020-12 schema brought by the user', async () => {
    const own = join(dir, 'schema2020.json')
    writeFileSync(
      own,
      JSON.stringify({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { risk: { type: 'object', 'x-apply': 'hot', properties: { max_position: { type: 'integer', maximum: 10 } } } },
      }),
    )
    const r = await service({ schemaPath: own }).validate({ text: EXAMPLE })
    expect(r.errors.map((e) => e.path)).toEqual(['/risk/max_position'])
  })
})

describe('save', () => {
  it('patches a value edit, keeps comments, reports apply hints and backs up the previous file', async () => {
    const s = service({ clock: fixedClock('2025-03-04T05:06:07Z') })
    const l = await s.load()
    const v = withEdits(l.value, { '/risk/max_position': 6000, '/scanner/workers': 3 })
    const r = await s.save({ value: v, baseHash: l.hash })
    const text = readFileSync(file, 'utf8')
    expect(text).toBe(
      EXAMPLE.replace('max_position = 5_000            #', 'max_position = 6_000            #').replace(
        'workers = 2             #',
        'workers = 3             #',
      ),
    )
    expect(r.hash).toBe(sha256(text))
    expect(r.backup).toBe('config.toml.bak.20250304_050607')
    expect(readFileSync(join(dir, r.backup), 'utf8')).toBe(EXAMPLE)
    expect(r.diff.changes).toEqual([
      { pointer: '/risk/max_position', kind: 'changed', before: 5000, after: 6000, apply: 'hot' },
      { pointer: '/scanner/workers', kind: 'changed', before: 2, after: 3, apply: 'restart' },
    ])
    expect(r.diff.restartNeeded).toBe(true)
    expect(r.diff.unified).toContain('+max_position = 6_000')
    expect(strays()).toEqual([])
  })

  it('saves raw text exactly as given', async () => {
    const s = service()
    const text = EXAMPLE.replace('# config.toml', '#   config.toml   ') + '\n\n# trailing\n'
    await s.save({ text, baseHash: sha256(EXAMPLE) })
    expect(readFileSync(file, 'utf8')).toBe(text)
  })

  it('detects an external edit between load and save as a conflict and writes nothing', async () => {
    const s = service()
    const l = await s.load()
    const external = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41')
    writeFileSync(file, external)
    const v = withEdits(l.value, { '/risk/max_open_orders': 50 })
    const err = await codeOf(s.save({ value: v, baseHash: l.hash }))
    expect(err.code).toBe('conflict')
    expect(err.message).toContain(file)
    expect(readFileSync(file, 'utf8')).toBe(external)
    expect(backups()).toEqual([])
    // The lower-level write checks too (Save & Restart calls it after its own prepare).
    expect((await codeOf(s.backupAndWrite(EXAMPLE, l.hash))).code).toBe('conflict')
    expect(readFileSync(file, 'utf8')).toBe(external)
  })

  it('a backup never takes a same-second name that retention freed: it is always the newest', async () => {
    // keepBackups 2 prunes the plain name of this second; the next backup must not reuse it, or it
    // would sort as the oldest and be the next one pruned.
    const s = service({ clock: fixedClock('2025-01-01T00:00:00Z'), keepBackups: 2 })
    let hash = sha256(EXAMPLE)
    const names: string[] = []
    for (let i = 41; i <= 44; i++) {
      const r = await s.save({ text: EXAMPLE.replace('max_open_orders = 40', `max_open_orders = ${i}`), baseHash: hash })
      hash = r.hash
      names.push(r.backup)
    }
    expect(names).toEqual([0, 1, 2, 3].map((n) => `config.toml.bak.20250101_000000${n ? `.${n}` : ''}`))
    expect(backups()).toEqual(['config.toml.bak.20250101_000000.2', 'config.toml.bak.20250101_000000.3'])
  })

  it('two saves in the same second keep two distinct backups', async () => {
    const s = service({ clock: fixedClock('2025-01-01T00:00:00Z') })
    const a = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41')
    const b = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 42')
    const r1 = await s.save({ text: a, baseHash: sha256(EXAMPLE) })
    const r2 = await s.save({ text: b, baseHash: r1.hash })
    const r3 = await s.save({ text: EXAMPLE, baseHash: r2.hash })
    expect([r1.backup, r2.backup, r3.backup]).toEqual([
      'config.toml.bak.20250101_000000',
      'config.toml.bak.20250101_000000.1',
      'config.toml.bak.20250101_000000.2',
    ])
    expect(readFileSync(join(dir, r1.backup), 'utf8')).toBe(EXAMPLE)
    expect(readFileSync(join(dir, r2.backup), 'utf8')).toBe(a)
    expect(readFileSync(join(dir, r3.backup), 'utf8')).toBe(b)
    const listed = await s.listBackups()
    expect(listed.map((x) => x.name)).toEqual([r3.backup, r2.backup, r1.backup])
    expect(listed[0]).toMatchObject({ time: '2025-01-01T00:00:00.000Z', seq: 2, size: Buffer.byteLength(b) })
  })

  it('concurrent saves never interleave: one wins, the other conflicts', async () => {
    const s = service()
    const base = sha256(EXAMPLE)
    const a = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41')
    const b = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 42')
    const results = await Promise.allSettled([s.backupAndWrite(a, base), s.backupAndWrite(b, base)])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as CoreError).code).toBe('conflict')
    expect([a, b]).toContain(readFileSync(file, 'utf8'))
    expect(backups()).toHaveLength(1)
  })

  it('retention keeps exactly N newest backups', async () => {
    const clock = fixedClock('2025-01-01T00:00:00Z')
    const s = service({ keepBackups: 3, clock })
    let hash = sha256(EXAMPLE)
    const written: string[] = []
    for (let i = 0; i < 6; i++) {
      clock.set(`2025-01-01T00:00:0${i}Z`)
      const r = await s.save({ text: EXAMPLE.replace('max_open_orders = 40', `max_open_orders = ${50 + i}`), baseHash: hash })
      hash = r.hash
      written.push(r.backup)
    }
    expect(backups()).toEqual(written.slice(-3).sort())
  })

  it.each(['640', '660', '600'])('preserves the file mode 0%s and the owner, whatever the umask', async (octal) => {
    const mode = parseInt(octal, 8)
    chmodSync(file, mode)
    const root = process.getuid?.() === 0
    if (root) chownSync(file, 1234, 5678)
    // A umask that would strip group bits from a freshly created file (forks pool: umask is allowed).
    const old = process.umask(0o077)
    try {
      const r = await service().save({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41'), baseHash: sha256(EXAMPLE) })
      const st = statSync(file)
      expect(st.mode & 0o7777).toBe(mode)
      expect(statSync(join(dir, r.backup)).mode & 0o7777).toBe(mode)
      if (root) expect([st.uid, st.gid]).toEqual([1234, 5678])
    } finally {
      process.umask(old)
    }
  })

  it('a read-only directory gives a clean io_error, original intact, no temp files', async (ctx) => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits; an immutable directory refuses even root.
      try {
        execFileSync('chattr', ['+i', dir], { stdio: 'ignore' })
      } catch {
        ctx.skip('chattr +i is refused on this filesystem, and root ignores permission bits: no way to make the directory read-only for root here')
      }
    } else {
      chmodSync(dir, 0o555)
    }
    const err = await codeOf(service().save({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41'), baseHash: sha256(EXAMPLE) }))
    expect(err.code).toBe('io_error')
    expect(err.message).toContain(file)
    expect(err.message).toMatch(/EACCES|EPERM|EROFS/)
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
    expect(readdirSync(dir)).toEqual(['config.toml'])
  })

  it('a symlinked config is written through to its target', async () => {
    const real = join(dir, 'real.toml')
    writeFileSync(real, EXAMPLE)
    rmSync(file)
    execFileSync('ln', ['-s', 'real.toml', file])
    await service().save({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41'), baseHash: sha256(EXAMPLE) })
    expect(readFileSync(real, 'utf8')).toContain('max_open_orders = 41')
    expect(readFileSync(file, 'utf8')).toContain('max_open_orders = 41')
    expect(existsSync(file) && statSync(file).isFile()).toBe(true)
  })

  it('a missing config is not_found', async () => {
    rmSync(file)
    expect((await codeOf(service().load())).code).toBe('not_found')
  })
})

describe('history', () => {
  it('diffs a backup against the current file and restores it through the same protocol', async () => {
    const clock = fixedClock('2025-06-01T12:00:00Z')
    const s = service({ clock })
    const edited = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 99')
    const r1 = await s.save({ text: edited, baseHash: sha256(EXAMPLE) })
    const d = await s.diffBackup(r1.backup)
    expect(d.valid).toBe(true)
    expect(d.diff.changes).toEqual([{ pointer: '/risk/max_open_orders', kind: 'changed', before: 99, after: 40, apply: 'hot' }])
    expect(d.diff.unified).toMatch(/-max_open_orders = 99\n\+max_open_orders = 40/)

    clock.set('2025-06-01T12:00:05Z')
    const restored = await s.restore(r1.backup, r1.hash)
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
    expect(restored.restoredFrom).toBe(r1.backup)
    expect(readFileSync(join(dir, restored.backup), 'utf8')).toBe(edited)
    expect((await s.listBackups()).map((b) => b.name)).toEqual([restored.backup, r1.backup])
  })

  it('refuses names that are not our backups', async () => {
    expect((await codeOf(service().diffBackup('../etc/passwd'))).code).toBe('invalid_input')
    expect((await codeOf(service().diffBackup('config.toml.bak.20250101_000000'))).code).toBe('not_found')
  })

  it('a restore of an invalid backup is refused', async () => {
    writeFileSync(join(dir, 'config.toml.bak.20240101_000000'), 'not = = toml')
    const err = await codeOf(service().restore('config.toml.bak.20240101_000000', sha256(EXAMPLE)))
    expect(err.code).toBe('parse_error')
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
  })
})

describe('handlers and workflow port', () => {
  it('every handler result matches its contract row', async () => {
    const clock = fixedClock('2025-02-02T02:02:02Z')
    const h = createConfigHandlers(service({ clock }))
    const ctx = { who: 'test', door: 'system' as const }
    const ajv = createAjv()
    const check = (name: keyof typeof configOperations, result: unknown) => {
      const validate = ajv.compile(configOperations[name].result)
      expect(validate(result), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true)
    }
    const l = await h['config.load']({}, ctx)
    check('config.load', l)
    check('config.validate', await h['config.validate']({ text: EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = -1') }, ctx))
    check('config.validate', await h['config.validate']({ value: withEdits(l.value, { '/risk/max_open_orders': 2 }) }, ctx))
    const saved = await h['config.save']({ value: withEdits(l.value, { '/risk/max_open_orders': 2 }), baseHash: l.hash }, ctx)
    check('config.save', saved)
    check('config.backups', await h['config.backups']({}, ctx))
    check('config.diff', await h['config.diff']({ backup: saved.backup }, ctx))
    clock.set('2025-02-02T02:02:03Z')
    check('config.restore', await h['config.restore']({ backup: saved.backup, baseHash: saved.hash }, ctx))
    // Invalid current file: load still answers, with the errors and no value.
    writeFileSync(file, 'risk = = 1\n')
    const broken = await h['config.load']({}, ctx)
    expect(broken).toMatchObject({ valid: false, errorKind: 'parse', value: null })
    check('config.load', broken)
  })

  it('validate returns errors and a diff, never throwing for bad content', async () => {
    const h = createConfigHandlers(service())
    const ctx = { who: 'test', door: 'system' as const }
    const bad = await h['config.validate']({ text: 'x = ' }, ctx)
    expect(bad).toMatchObject({ ok: false, errorKind: 'parse', diff: null })
    expect(bad.errors[0]?.line).toBe(1)
    const l = await h['config.load']({}, ctx)
    const v = withEdits(l.value, { '/orchestrator/log_level': 'debug' })
    const good = await h['config.validate']({ value: v }, ctx)
    expect(good.ok).toBe(true)
    expect(good.diff?.changes).toEqual([{ pointer: '/orchestrator/log_level', kind: 'changed', before: 'info', after: 'debug', apply: 'hot' }])
    expect(good.text).toContain('log_level = "debug"          # hot')
    expect(good.baseHash).toBe(l.hash)
    await expect(h['config.validate']({}, ctx)).rejects.toMatchObject({ code: 'invalid_input' })
  })

  it('the port prepares without writing and commits with a backup', async () => {
    const s = service()
    const port = createConfigPort(s)
    const base = (await s.currentHash()) as string
    const p = await port.prepare({ text: EXAMPLE.replace('workers = 2', 'workers = 4'), baseHash: base })
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
    expect(p.diff.changes).toEqual([{ pointer: '/scanner/workers', apply: 'restart' }])
    const c = await port.stage(p, 'atomic')
    expect(c.hash).toBe(p.newHash)
    // Staged: the backup and the temp file exist, the live file is still the old one.
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
    expect(readFileSync(join(dirname(file), c.backup), 'utf8')).toBe(EXAMPLE)
    await c.commit()
    expect(await port.currentHash()).toBe(p.newHash)
    expect((await c.finish()).warnings).toEqual([])
    expect(await port.isValidOnDisk()).toBe(true)
    await expect(port.prepare({ text: EXAMPLE, baseHash: base })).rejects.toMatchObject({ code: 'conflict' })
  })

  it('a staged save that is abandoned leaves the file, and no backup or temp file, behind', async () => {
    const s = service()
    const port = createConfigPort(s)
    const base = (await s.currentHash()) as string
    const before = readdirSync(dirname(file)).sort()
    const p = await port.prepare({ text: EXAMPLE.replace('workers = 2', 'workers = 4'), baseHash: base })
    const c = await port.stage(p, 'atomic')
    expect(readdirSync(dirname(file)).length).toBeGreaterThan(before.length)
    await c.abandon()
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
    expect(readdirSync(dirname(file)).sort()).toEqual(before)
  })

  it('a staged save refuses an outside edit made between stage and commit, and keeps that edit', async () => {
    const s = service()
    const port = createConfigPort(s)
    const base = (await s.currentHash()) as string
    const p = await port.prepare({ text: EXAMPLE.replace('workers = 2', 'workers = 4'), baseHash: base })
    const c = await port.stage(p, 'atomic')
    const outside = EXAMPLE.replace('workers = 2', 'workers = 9')
    writeFileSync(file, outside)
    await expect(c.commit()).rejects.toMatchObject({ code: 'conflict' })
    expect(readFileSync(file, 'utf8')).toBe(outside)
  })

  it('an in-place staged save keeps the inode (what a single-file bind mount pins) and backs up first', async () => {
    const s = service()
    const port = createConfigPort(s)
    const base = (await s.currentHash()) as string
    const ino = statSync(file).ino
    const next = EXAMPLE.replace('workers = 2', 'workers = 4')
    const p = await port.prepare({ text: next, baseHash: base })
    const c = await port.stage(p, 'in-place')
    await c.commit()
    expect(statSync(file).ino).toBe(ino)
    expect(readFileSync(file, 'utf8')).toBe(next)
    expect(readFileSync(join(dirname(file), c.backup), 'utf8')).toBe(EXAMPLE)
    expect((await c.finish()).warnings.join(' ')).toMatch(/in place.*not crash-atomic/)
  })

  it('the low-level write refuses invalid text even when called directly', async () => {
    const s = service()
    await expect(s.backupAndWrite('risk = 1', sha256(EXAMPLE))).rejects.toMatchObject({ code: 'schema_error' })
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE)
  })
})
