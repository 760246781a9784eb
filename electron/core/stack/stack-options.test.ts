import { describe, expect, it } from 'vitest'
import { resolveOptions, type StackServiceOptions } from './stack-options'

const base = (): StackServiceOptions => ({
  endpoints: [{ id: 'local', url: 'unix:///var/run/docker.sock' }],
  services: [
    {
      name: 'orch',
      selector: { app: 'orch' },
      reload: { signal: 'usr1', logPattern: 'Config reloaded', timeoutMs: 1000 },
    },
  ],
  actionTimeoutMs: 1000,
})

describe('resolveOptions', () => {
  it('fills defaults, canonicalises signals and compiles patterns', () => {
    const { options, patterns } = resolveOptions(base())
    expect(options).toMatchObject({
      listTimeoutMs: 3000,
      debounceMs: 50,
      backoffCapMs: 5000,
      restartStopTimeoutS: 10,
    })
    expect(options.services[0]?.reload.signal).toBe('SIGUSR1')
    expect(patterns.get('orch')?.test('x Config reloaded y')).toBe(true)
  })

  it.each<[string, (o: StackServiceOptions) => void, string]>([
    ['duplicate endpoint', (o) => o.endpoints.push({ id: 'local', url: 'tcp://h:1' }), '/endpoints/1/id'],
    ['bad url', (o) => ((o.endpoints[0] as { url: string }).url = 'ftp://x'), '/endpoints/0/url'],
    [
      'empty selector',
      (o) => ((o.services[0] as { selector: object }).selector = {}),
      '/services/0/selector',
    ],
    [
      'unknown endpoint',
      (o) => ((o.services[0] as { endpoint?: string }).endpoint = 'nope'),
      '/services/0/endpoint',
    ],
    [
      'bad pattern',
      (o) => ((o.services[0]?.reload as { logPattern: string }).logPattern = '(['),
      '/services/0/reload/logPattern',
    ],
    [
      'bad signal',
      (o) => ((o.services[0]?.reload as { signal: string }).signal = 'SIGSTOP'),
      '/services/0/reload/signal',
    ],
    ['zero timeout', (o) => (o.actionTimeoutMs = 0), '/actionTimeoutMs'],
  ])('rejects %s at %s', (_name, mutate, path) => {
    const o = base()
    mutate(o)
    expect(() => resolveOptions(o)).toThrow(expect.objectContaining({ code: 'invalid_input', path }))
  })
})
