import { EventEmitter } from 'node:events'
import { describe, expect, it, vi } from 'vitest'
import { EXIT_SOFTWARE, installCrashPolicy, isConnectionScoped, type ProcessLike } from './crash-policy'

function setup(extra: { maxPerMinute?: number; shutdown?: () => Promise<void> } = {}) {
  const proc = new EventEmitter()
  const lines: string[] = []
  const exit = vi.fn<(code: number) => void>()
  let t = 0
  const off = installCrashPolicy(proc as unknown as ProcessLike, {
    log: (l) => lines.push(l),
    exit,
    shutdownTimeoutMs: 50,
    now: () => t,
    ...extra,
  })
  return { proc, lines, exit, off, advance: (ms: number) => (t += ms) }
}

const coded = (code: string, msg = code) => Object.assign(new Error(msg), { code })

describe('the host crash policy', () => {
  it('logs an unhandled rejection with its stack and keeps serving', () => {
    const { proc, lines, exit } = setup()
    proc.emit('unhandledRejection', new TypeError("Cannot read properties of null (reading 'id')"))
    proc.emit('unhandledRejection', { weird: true })
    expect(exit).not.toHaveBeenCalled()
    expect(lines[0]).toMatch(
      /unhandled promise rejection \(kept serving\): TypeError: Cannot read properties of null/,
    )
    expect(lines[0]).toMatch(/crash-policy\.test\.ts/) // the stack, so the log says where
    expect(lines[1]).toContain('non-error value: {"weird":true}')
  })

  it('keeps serving after a connection-scoped uncaught exception', () => {
    const { proc, lines, exit } = setup()
    proc.emit(
      'uncaughtException',
      coded('WS_ERR_INVALID_UTF8', 'Invalid WebSocket frame: invalid UTF-8 sequence'),
      'uncaughtException',
    )
    proc.emit('uncaughtException', coded('ECONNRESET'), 'uncaughtException')
    expect(exit).not.toHaveBeenCalled()
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('from one connection (kept serving)')
  })

  it('exits loudly with 70 after a bounded shutdown on any other uncaught exception', async () => {
    const shutdown = vi.fn(() => Promise.resolve())
    const { proc, lines, exit } = setup({ shutdown })
    proc.emit('uncaughtException', new RangeError('boom'), 'uncaughtException')
    expect(lines[0]).toMatch(/FATAL uncaught uncaughtException.*exiting with code 70: RangeError: boom/)
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(EXIT_SOFTWARE))
    expect(shutdown).toHaveBeenCalledOnce()
    // A second fatal error while dying is logged, not a second exit.
    proc.emit('uncaughtException', new Error('again'), 'uncaughtException')
    expect(lines.at(-1)).toContain('while shutting down')
  })

  it('still exits when the graceful shutdown hangs', async () => {
    const { proc, exit } = setup({ shutdown: () => new Promise(() => undefined) })
    proc.emit('uncaughtException', new Error('boom'), 'uncaughtException')
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(EXIT_SOFTWARE), { timeout: 1000 })
  })

  it('treats a flood of kept-serving errors as fatal', async () => {
    const { proc, exit, lines, advance } = setup({ maxPerMinute: 3 })
    for (let i = 0; i < 3; i++) proc.emit('unhandledRejection', new Error(`r${i}`))
    advance(61_000) // old ones age out
    for (let i = 0; i < 3; i++) proc.emit('unhandledRejection', new Error(`s${i}`))
    expect(exit).not.toHaveBeenCalled()
    proc.emit('unhandledRejection', new Error('one too many'))
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(EXIT_SOFTWARE))
    expect(lines.at(-1)).toMatch(/FATAL 4 unhandled errors within a minute/)
  })

  it('uninstalls', () => {
    const { proc, off } = setup()
    off()
    expect(proc.listenerCount('unhandledRejection')).toBe(0)
    expect(proc.listenerCount('uncaughtException')).toBe(0)
  })

  it('classifies connection errors by code', () => {
    expect(isConnectionScoped(coded('EPIPE'))).toBe(true)
    expect(isConnectionScoped(coded('WS_ERR_UNEXPECTED_RSV_1'))).toBe(true)
    expect(isConnectionScoped(new Error('x'))).toBe(false)
    expect(isConnectionScoped(null)).toBe(false)
  })
})
