/**
 * A WebSocket client on a bare TCP socket, for tests that must send frames no library will build:
 * unmasked frames, reserved opcodes, RSV bits, stray continuations, bad close codes, oversized
 * pings, invalid UTF-8 in text frames. It performs the opening handshake itself, then writes raw
 * bytes and parses what the server sends back (server frames are never masked).
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

export interface FrameSpec {
  opcode: number
  payload?: Buffer
  fin?: boolean
  rsv?: number // 3 bits: RSV1 = 4, RSV2 = 2, RSV3 = 1
  masked?: boolean
  /** Declare this payload length instead of the real one (only to announce an oversized frame). */
  declaredLength?: number
}

/** Encodes one frame exactly as specified, legal or not. */
export function encodeFrame(f: FrameSpec): Buffer {
  const payload = f.payload ?? Buffer.alloc(0)
  const len = f.declaredLength ?? payload.length
  const masked = f.masked ?? true
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | (((f.rsv ?? 0) & 7) << 4) | (f.opcode & 0x0f)]
  const m = masked ? 0x80 : 0
  let ext = Buffer.alloc(0)
  if (len < 126) head.push(m | len)
  else if (len < 65_536) {
    head.push(m | 126)
    ext = Buffer.alloc(2)
    ext.writeUInt16BE(len)
  } else {
    head.push(m | 127)
    ext = Buffer.alloc(8)
    ext.writeBigUInt64BE(BigInt(len))
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, payload])
  const key = randomBytes(4)
  const body = Buffer.from(payload)
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number)
  return Buffer.concat([Buffer.from(head), ext, key, body])
}

export const textFrame = (s: string | Buffer) =>
  encodeFrame({ opcode: 1, payload: Buffer.isBuffer(s) ? s : Buffer.from(s) })
export function closeFrame(code: number, reason = ''): Buffer {
  const p = Buffer.alloc(2 + Buffer.byteLength(reason))
  p.writeUInt16BE(code)
  p.write(reason, 2)
  return encodeFrame({ opcode: 8, payload: p })
}

export interface ServerFrame {
  opcode: number
  payload: Buffer
}

export interface RawWs {
  socket: Socket
  /** Frames received so far (text, binary, close, ping, pong). */
  frames: ServerFrame[]
  /** Text frames parsed as JSON (replies and events). */
  messages(): unknown[]
  /** The close code the server sent, or null; `ended` once the TCP connection is gone. */
  closeCode(): number | null
  ended(): boolean
  write(b: Buffer): void
  /** Resolves once `pred` holds or the server closed the connection, whichever comes first; false on timeout. */
  until(pred: () => boolean, timeoutMs?: number): Promise<boolean>
  destroy(): void
}

/** Opens a WebSocket by hand; rejects unless the server answers 101. */
export function openRawWs(
  port: number,
  hostHeader: string,
  protocols: string[],
  path = '/api/ws',
): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let buf = Buffer.alloc(0)
    let upgraded = false
    let ended = false
    const frames: ServerFrame[] = []
    const waiters = new Set<() => void>()
    const wake = () => waiters.forEach((w) => w())

    const parse = () => {
      for (;;) {
        if (buf.length < 2) return
        const b0 = buf[0] as number
        const b1 = buf[1] as number
        let len = b1 & 0x7f
        let off = 2
        if (len === 126) {
          if (buf.length < 4) return
          len = buf.readUInt16BE(2)
          off = 4
        } else if (len === 127) {
          if (buf.length < 10) return
          len = Number(buf.readBigUInt64BE(2))
          off = 10
        }
        if (buf.length < off + len) return
        frames.push({ opcode: b0 & 0x0f, payload: buf.subarray(off, off + len) })
        buf = buf.subarray(off + len)
      }
    }

    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buf.subarray(0, end).toString('latin1')
        buf = buf.subarray(end + 4)
        if (!/^HTTP\/1\.1 101 /.test(head)) {
          socket.destroy()
          reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
          return
        }
        upgraded = true
        resolve(api)
      }
      parse()
      wake()
    })
    socket.on('close', () => {
      ended = true
      if (!upgraded) reject(new Error('connection closed before the upgrade'))
      wake()
    })
    socket.on('error', () => undefined) // a reset is one way the server closes; 'close' follows

    const api: RawWs = {
      socket,
      frames,
      messages: () =>
        frames
          .filter((f) => f.opcode === 1)
          .map((f) => {
            try {
              return JSON.parse(f.payload.toString('utf8')) as unknown
            } catch {
              return undefined
            }
          }),
      closeCode: () => {
        const c = frames.find((f) => f.opcode === 8)
        return c && c.payload.length >= 2 ? c.payload.readUInt16BE(0) : null
      },
      ended: () => ended,
      write: (b) => {
        if (!socket.destroyed) socket.write(b)
      },
      until(pred, timeoutMs = 5000) {
        return new Promise((res) => {
          const check = () => {
            if (pred()) return done(true)
            if (ended || api.closeCode() !== null) return done(pred())
          }
          const timer = setTimeout(() => done(false), timeoutMs)
          const done = (v: boolean) => {
            clearTimeout(timer)
            waiters.delete(check)
            res(v)
          }
          waiters.add(check)
          check()
        })
      },
      destroy: () => socket.destroy(),
    }

    const key = randomBytes(16).toString('base64')
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols.join(', ')}\r\n\r\n`,
    )
  })
}
