import { describe, expect, it } from 'vitest'
import { normalizeSignal } from './signals'

describe('normalizeSignal', () => {
  it('accepts short and long forms', () => {
    expect(normalizeSignal('SIGHUP')).toBe('SIGHUP')
    expect(normalizeSignal('usr1')).toBe('SIGUSR1')
    expect(normalizeSignal(' term ')).toBe('SIGTERM')
  })
  it.each(['SIGSTOP', 'CONT', 'SIGFOO', '', '9'])('rejects %j', (s) => {
    expect(() => normalizeSignal(s)).toThrow(/not allowed/)
  })
})
