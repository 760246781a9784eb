import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigService } from './config-service'
import { SchemaStore } from './schema-store'

/**
 * TOML can spell non-finite numbers (`inf`, `-inf`, `nan`) and JSON bodies can smuggle them in as
 * `1e999`. Either way the config schema must refuse them, naming the key and the line, unless the
 * schema explicitly allows non-finite numbers there (`x-allow-non-finite`).
 */
const ROOT = resolve(import.meta.dirname, '../../..')
const SCHEMA = join(ROOT, 'schemas/config.schema.json')
const EXAMPLE = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
const PARAMS = 'params = { lookback_bars = 20, breakout_pct = 0.8, use_vwap = true }'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-config-nonfinite-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function service(schemaPath = SCHEMA): ConfigService {
  const file = join(dir, 'config.toml')
  writeFileSync(file, EXAMPLE)
  return new ConfigService({ configPath: file, schemaPath, keepBackups: 3 })
}

describe('config values must be finite numbers', () => {
  it('the example holds the line this suite edits', () => {
    expect(EXAMPLE).toContain(PARAMS)
  })

  for (const word of ['inf', '+inf', '-inf', 'nan']) {
    it(`breakout_pct = ${word} is refused with its key and line`, async () => {
      const text = EXAMPLE.replace(PARAMS, PARAMS.replace('breakout_pct = 0.8', `breakout_pct = ${word}`))
      const r = await service().validate({ text })
      expect(r.ok).toBe(false)
      expect(r.errorKind).toBe('schema')
      const e = r.errors.find((x) => x.path === '/agents/momentum/params/breakout_pct')
      expect(e, JSON.stringify(r.errors)).toBeDefined()
      expect(e?.message).toMatch(/finite number \(got (inf|-inf|nan)\)/)
      expect(text.split('\n')[(e?.line ?? 0) - 1]).toContain(`breakout_pct = ${word}`)
    })
  }

  it('a top-level number (max_position = inf) is refused too', async () => {
    const text = EXAMPLE.replace('max_position = 5_000', 'max_position = inf')
    const r = await service().validate({ text })
    const e = r.errors.find((x) => x.path === '/risk/max_position')
    expect(e?.message).toBe('must be a finite number (got inf)')
    expect(text.split('\n')[(e?.line ?? 0) - 1]).toMatch(/^max_position = inf/)
  })

  it('a schema that explicitly allows non-finite numbers accepts inf there, and only there', async () => {
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as unknown
    const params = findParams(schema)
    params['additionalProperties'] = {
      anyOf: [{ type: ['number', 'string', 'boolean'] }, { 'x-allow-non-finite': true }],
      'x-apply': 'hot',
    }
    const path = join(dir, 'schema.json')
    writeFileSync(path, JSON.stringify(schema))
    const svc = service(path)
    const ok = await svc.validate({ text: EXAMPLE.replace('breakout_pct = 0.8', 'breakout_pct = inf') })
    expect(ok.errors).toEqual([])
    const still = await svc.validate({ text: EXAMPLE.replace('max_position = 5_000', 'max_position = inf') })
    expect(still.errors.map((e) => e.path)).toContain('/risk/max_position')
  })

  it('the schema store refuses Infinity smuggled in as a JSON value (1e999)', async () => {
    const store = new SchemaStore(SCHEMA)
    const { value } = await service().load()
    const v = JSON.parse(
      JSON.stringify(value).replace('"breakout_pct":0.8', '"breakout_pct":1e999'),
    ) as unknown
    const issues = await store.validate(v)
    expect(issues).toContainEqual({
      path: '/agents/momentum/params/breakout_pct',
      message: 'must be a finite number (got inf)',
    })
  })
})

/** The `params` node of an agent in the shipped schema, wherever its definition sits. */
function findParams(schema: unknown): Record<string, unknown> {
  const stack: unknown[] = [schema]
  while (stack.length > 0) {
    const n = stack.pop()
    if (typeof n !== 'object' || n === null) continue
    const props = (n as { properties?: Record<string, unknown> }).properties
    if (props && typeof props['params'] === 'object') return props['params'] as Record<string, unknown>
    stack.push(...(Object.values(n) as unknown[]))
  }
  throw new Error('no params node in the config schema')
}
