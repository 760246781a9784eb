import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CoreError } from '../errors'
import { applyPlainValue } from './toml-edit'
import { lineForPointer, locate } from './toml-locator'
import { getAt, withEdits } from './__fixtures__/value-path'
import { parseToml, toPlain } from './toml-values'

const ALL_TYPES = `# Every TOML 1.0 value type, with comments and odd spacing that must survive.
title   =   "TOML \\"all types\\"\\tdoc"   # basic string with escapes
path = 'C:\\Users\\nodejs\\templates'      # literal string
multi_basic = """
Roses are red
  Violets are blue \\
  and so on"""
multi_literal = '''
The first newline is
trimmed in raw strings.
   All other whitespace
   is preserved. \\n stays
'''

[numbers]
int1 = +99
int2 = -17
int3 = 1_000_000
hex = 0xDEAD_BEEF
oct = 0o755
bin = 0b1101_0110
flt1 = +1.0
flt2 = -0.01
flt3 = 5e+22
flt4 = 6.626e-34
flt5 = 224_617.445_991
sf1 = inf
sf2 = +inf
sf3 = -inf
sf4 = nan
sf5 = -nan

[booleans]
yes = true
no  = false   # aligned

[dates]
odt1 = 1979-05-27T07:32:00Z
odt2 = 1979-05-27T00:32:00-07:00
odt3 = 1979-05-27T00:32:00.999999-07:00
odt4 = 1979-05-27 07:32:00Z
ldt1 = 1979-05-27T07:32:00
ldt2 = 1979-05-27T00:32:00.999999
ld1 = 1979-05-27
lt1 = 07:32:00
lt2 = 00:32:00.999999

[arrays]
integers = [ 1, 2, 3 ]
colors = [ "red", "yellow", "green" ]
nested = [ [ 1, 2 ], ["a", 'b', """c"""] ]
mixed = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
multiline = [
  1,   # one
  2,   # two
]
dates = [1979-05-27, 07:32:00]

[inline]
point = { x = 1, y = 2 }
nested = { type.name = "pug", "quoted key" = true }

[dotted]
physical.color = "orange"
physical.shape = "round"
site."google.com" = true
"key with spaces" = 'x'

[[products]]
name = "Hammer"
sku = 738594937

[[products]]  # empty element

[[products]]
name = "Nail"
sku = 284758393
color = "gray"

[[fruits]]
name = "apple"
[[fruits.varieties]]
name = "red delicious"
[[fruits.varieties]]
name = "granny smith"

[[fruits]]
name = "banana"
[[fruits.varieties]]
name = "plantain"

[target]
value = 1   # the only line an edit may touch
`

function edited(text: string, edits: Record<string, unknown>) {
  return applyPlainValue(text, withEdits(toPlain(parseToml(text)), edits))
}

/** Lines of `after` that differ from `before` (same line count expected). */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n')
  const b = after.split('\n')
  expect(b.length).toBe(a.length)
  return a.flatMap((l, i) => (l === b[i] ? [] : [i + 1]))
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.startsWith(needle)) + 1

describe('parse errors', () => {
  it('report line, column and file:line:col', () => {
    try {
      parseToml('a = 1\nb = = 2\n', 'config.toml')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(CoreError)
      const e = err as CoreError
      expect(e.code).toBe('parse_error')
      expect(e.details?.[0]).toMatchObject({ line: 2, column: 5, path: 'config.toml:2:5' })
      expect(e.details?.[0]?.message).toMatch(/invalid/i)
    }
  })

  it('locate a redefined table on its own line', () => {
    const e = (() => {
      try {
        parseToml('[a]\nb = 1\n\n[a]\n')
      } catch (err) {
        return err as CoreError
      }
    })()
    expect(e?.details?.[0]?.line).toBe(4)
  })

  it('accept an unquoted local time followed by more lines', () => {
    const v = parseToml('start = 09:30:00\nstop = "16:00"\n[risk]\nmax_position = 1\n')
    expect(toPlain(v)).toEqual({ start: '09:30:00', stop: '16:00', risk: { max_position: 1 } })
  })
})

describe('locator', () => {
  it('maps pointers to lines, including arrays of tables and missing keys', () => {
    const loc = locate(ALL_TYPES)
    expect(loc).not.toBeNull()
    expect(lineForPointer(loc, '/numbers/hex')?.line).toBe(lineOf(ALL_TYPES, 'hex ='))
    expect(lineForPointer(loc, '/products/2/color')?.line).toBe(lineOf(ALL_TYPES, 'color = "gray"'))
    expect(lineForPointer(loc, '/fruits/1/varieties/0/name')?.line).toBe(lineOf(ALL_TYPES, 'name = "plantain"'))
    expect(lineForPointer(loc, '/dotted/site/google.com')?.line).toBe(lineOf(ALL_TYPES, 'site."google.com"'))
    // A missing key points at the table that lacks it.
    expect(lineForPointer(loc, '/booleans/maybe')?.line).toBe(lineOf(ALL_TYPES, '[booleans]'))
    expect(lineForPointer(loc, '/arrays/multiline/1')?.line).toBe(lineOf(ALL_TYPES, 'multiline = ['))
  })
})

describe('comment-preserving edits', () => {
  it('edit one scalar in a file of every value type: every other line byte-identical', () => {
    const r = edited(ALL_TYPES, { '/target/value': 2 })
    expect(r.strategy).toBe('in-place')
    expect(changedLines(ALL_TYPES, r.text)).toEqual([lineOf(ALL_TYPES, 'value = 1')])
    expect(r.text).toContain('value = 2   # the only line an edit may touch')
  })

  it('structural edits keep every existing line, in order, through the splice and through toml-patch', () => {
    const plain = withEdits(toPlain(parseToml(ALL_TYPES)), { '/target/added': 'new' })
    for (const via of ['auto', 'toml-patch'] as const) {
      const r = applyPlainValue(ALL_TYPES, plain, 'config.toml', { via })
      expect(r.strategy).toBe(via === 'auto' ? 'splice' : 'toml-patch')
      const before = ALL_TYPES.split('\n')
      const after = r.text.split('\n')
      // The new text is the old one with lines inserted only.
      let j = 0
      for (const line of after) if (line === before[j]) j++
      expect(j).toBe(before.length)
      expect(toPlain(parseToml(r.text))).toMatchObject({ target: { value: 1, added: 'new' } })
    }
  })

  it('keeps nan/inf that JSON turned into null', () => {
    const plain = withEdits(JSON.parse(JSON.stringify(toPlain(parseToml(ALL_TYPES)))), { '/target/value': 3 })
    expect(getAt(plain, '/numbers/sf4')).toBeNull()
    const r = applyPlainValue(ALL_TYPES, plain)
    expect(changedLines(ALL_TYPES, r.text)).toEqual([lineOf(ALL_TYPES, 'value = 1')])
  })

  it('refuses null where the file has a real value', () => {
    const plain = withEdits(toPlain(parseToml(ALL_TYPES)), { '/target/value': null })
    expect(() => applyPlainValue(ALL_TYPES, plain)).toThrow(/no null/)
  })

  it('keeps the TOML type and style of an edited value', () => {
    const text = "start = 09:30:00 # open\nname = 'lit'\nlimit = 5_000\nloss = 2500.0\nmask = 0xff\nday = 2025-01-02\n"
    const r = edited(text, { '/start': '10:15', '/name': 'other', '/limit': 12000, '/loss': 3000, '/mask': 4095, '/day': '2025-02-03' })
    expect(r.text).toBe("start = 10:15:00 # open\nname = 'other'\nlimit = 12_000\nloss = 3000.0\nmask = 0xfff\nday = 2025-02-03\n")
  })

  it('writes a non-date string into a date field as a quoted string (still valid TOML)', () => {
    const r = edited('start = 09:30:00\n', { '/start': '30 9 * * 1-5' })
    expect(r.text).toBe('start = "30 9 * * 1-5"\n')
  })

  it('edits inside inline tables and arrays of tables in place', () => {
    const r = edited(ALL_TYPES, {
      '/inline/point/y': 20,
      '/products/2/color': 'blue',
      '/fruits/1/varieties/0/name': 'cooking banana',
    })
    expect(r.strategy).toBe('in-place')
    expect(changedLines(ALL_TYPES, r.text).map((n) => ALL_TYPES.split('\n')[n - 1])).toEqual([
      'point = { x = 1, y = 2 }',
      'color = "gray"',
      'name = "plantain"',
    ])
  })

  it('escapes strings so they read back exactly', () => {
    const nasty = 'quote " back\\slash \t tab \u0001 ctl \u007f del 😀'
    const r = edited('s = "x"\n', { '/s': nasty })
    expect(toPlain(parseToml(r.text))).toEqual({ s: nasty })
  })

  it('random scalar edits of the example config: reads back as intended, other lines untouched', () => {
    const example = readFileSync(resolve(import.meta.dirname, '../../../config.example.toml'), 'utf8')
    const edits = fc.record({
      maxPosition: fc.integer({ min: 0, max: 10_000_000 }),
      loss: fc.double({ min: 1, max: 1e8, noNaN: true }),
      level: fc.constantFrom('debug', 'info', 'warning'),
      name: fc.string({ maxLength: 20 }),
      symbols: fc.array(fc.constantFrom('AAPL', 'MSFT', 'TSLA'), { maxLength: 3 }),
    })
    fc.assert(
      fc.property(edits, (e) => {
        const r = edited(example, {
          '/risk/max_position': e.maxPosition,
          '/risk/max_daily_loss': e.loss,
          '/orchestrator/log_level': e.level,
          '/orchestrator/name': e.name,
          '/agents/momentum/symbols': e.symbols,
        })
        const back = toPlain(parseToml(r.text))
        expect(getAt(back, '/risk/max_position')).toBe(e.maxPosition)
        expect(getAt(back, '/risk/max_daily_loss')).toBe(e.loss)
        expect(getAt(back, '/orchestrator/log_level')).toBe(e.level)
        expect(getAt(back, '/orchestrator/name')).toBe(e.name)
        expect(getAt(back, '/agents/momentum/symbols')).toEqual(e.symbols)
        const touched = ['max_position = 5_000', 'max_daily_loss', 'log_level', 'name = "alpha-stack"', 'symbols = ["AAPL", "NVDA"]']
        const allowed = new Set(touched.map((t) => lineOf(example, t)))
        for (const n of changedLines(example, r.text)) expect(allowed.has(n)).toBe(true)
      }),
      { numRuns: 150 },
    )
  })
})
