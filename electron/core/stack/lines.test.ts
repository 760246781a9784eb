import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineSplitter, LogLineDecoder, splitTimestamp } from './lines'

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text)
  const h = Buffer.alloc(8)
  h[0] = stream
  h.writeUInt32BE(payload.length, 4)
  return Buffer.concat([h, payload])
}

/** Cut a buffer at the given (sorted, deduplicated) offsets. */
const cut = (buf: Buffer, offsets: number[]) => {
  const pts = [...new Set(offsets.map((o) => o % (buf.length + 1)))].sort((a, b) => a - b)
  const parts: Buffer[] = []
  let prev = 0
  for (const p of pts) {
    parts.push(buf.subarray(prev, p))
    prev = p
  }
  parts.push(buf.subarray(prev))
  return parts
}

describe('LineSplitter', () => {
  it('keeps multi-byte characters intact across chunk edges', () => {
    const s = new LineSplitter()
    const bytes = Buffer.from('prix 12€\nfin\n')
    const euro = bytes.indexOf(0xe2)
    expect([...s.push(bytes.subarray(0, euro + 1)), ...s.push(bytes.subarray(euro + 1))]).toEqual([
      'prix 12€',
      'fin',
    ])
  })

  it('returns a last line without newline on flush, and strips CR', () => {
    const s = new LineSplitter()
    expect(s.push('a\r\nb')).toEqual(['a'])
    expect(s.flush()).toEqual(['b'])
  })
})

describe('LogLineDecoder', () => {
  it('demultiplexes frames cut anywhere, keeping stdout and stderr lines apart', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(400), { maxLength: 12 }), (offsets) => {
        const stream = Buffer.concat([
          frame(1, '2024-05-01T10:00:00.000000001Z hello '),
          frame(2, '2024-05-01T10:00:00.000000002Z warn\n'),
          frame(1, 'world\n2024-05-01T10:00:01.000000000Z Config reloaded sha=1\n'),
        ])
        const d = new LogLineDecoder()
        const got = [...cut(stream, offsets).flatMap((p) => d.push(Buffer.from(p))), ...d.flush()]
        expect(got).toEqual([
          { stream: 'stderr', line: '2024-05-01T10:00:00.000000002Z warn' },
          { stream: 'stdout', line: '2024-05-01T10:00:00.000000001Z hello world' },
          { stream: 'stdout', line: '2024-05-01T10:00:01.000000000Z Config reloaded sha=1' },
        ])
      }),
    )
  })

  it('passes TTY (raw) streams through', () => {
    const d = new LogLineDecoder()
    expect(d.push(Buffer.from('2024-05-01T10:00:00Z a\n2024'))).toEqual([
      { stream: 'stdout', line: '2024-05-01T10:00:00Z a' },
    ])
    expect(d.push(Buffer.from('-05-01T10:00:01Z b\n'))).toEqual([
      { stream: 'stdout', line: '2024-05-01T10:00:01Z b' },
    ])
  })
})

describe('splitTimestamp', () => {
  it('splits the daemon timestamp from the text', () => {
    expect(splitTimestamp('2024-05-01T10:00:00.123456789Z Config reloaded sha=x')).toEqual({
      ts: '2024-05-01T10:00:00.123456789Z',
      ms: Date.parse('2024-05-01T10:00:00.123Z'),
      text: 'Config reloaded sha=x',
    })
    expect(splitTimestamp('no timestamp here')).toBeNull()
  })
})
