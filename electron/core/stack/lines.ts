import { StringDecoder } from 'node:string_decoder'

/** Splits a byte stream into lines without breaking UTF-8 sequences across chunk edges. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private rest = ''

  push(chunk: Buffer | string): string[] {
    this.rest += typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
    const parts = this.rest.split('\n')
    this.rest = parts.pop() ?? ''
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  }

  /** Whatever is left once the stream ends (a last line without newline). */
  flush(): string[] {
    const last = this.rest + this.decoder.end()
    this.rest = ''
    return last ? [last] : []
  }
}

/**
 * Docker log streams of containers without a TTY are multiplexed: 8-byte frame headers
 * ([stream, 0, 0, 0, size u32be]) before each payload. TTY containers send raw bytes. The first
 * bytes tell which: with `timestamps: true` a raw stream starts with a digit, never 0x00–0x02.
 * stdout and stderr keep separate line buffers so interleaved partial lines do not mix.
 */
export class LogLineDecoder {
  private mode: 'unknown' | 'raw' | 'mux' = 'unknown'
  private buf: Buffer = Buffer.alloc(0)
  private readonly out = new LineSplitter()
  private readonly err = new LineSplitter()

  push(chunk: Buffer): Array<{ stream: 'stdout' | 'stderr'; line: string }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    if (this.mode === 'unknown') {
      if (this.buf.length < 4) return []
      const b = this.buf
      this.mode = (b[0] as number) <= 2 && b[1] === 0 && b[2] === 0 && b[3] === 0 ? 'mux' : 'raw'
    }
    const lines: Array<{ stream: 'stdout' | 'stderr'; line: string }> = []
    if (this.mode === 'raw') {
      for (const line of this.out.push(this.buf)) lines.push({ stream: 'stdout', line })
      this.buf = Buffer.alloc(0)
      return lines
    }
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4)
      if (this.buf.length < 8 + size) break
      const kind = this.buf[0] === 2 ? 'stderr' : 'stdout'
      const payload = this.buf.subarray(8, 8 + size)
      this.buf = this.buf.subarray(8 + size)
      for (const line of (kind === 'stderr' ? this.err : this.out).push(payload))
        lines.push({ stream: kind, line })
    }
    return lines
  }

  flush(): Array<{ stream: 'stdout' | 'stderr'; line: string }> {
    return [
      ...this.out.flush().map((line) => ({ stream: 'stdout' as const, line })),
      ...this.err.flush().map((line) => ({ stream: 'stderr' as const, line })),
    ]
  }
}

/** "2024-05-01T10:00:00.123456789Z message" -> the daemon timestamp and the line as written. */
export function splitTimestamp(line: string): { ts: string; ms: number; text: string } | null {
  const sp = line.indexOf(' ')
  const ts = sp < 0 ? line : line.slice(0, sp)
  const ms = Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'))
  if (!/^\d{4}-\d\d-\d\dT/.test(ts) || !Number.isFinite(ms)) return null
  return { ts, ms, text: sp < 0 ? '' : line.slice(sp + 1) }
}
