import { describe, expect, it } from 'vitest'
import type { SafetyState } from '../store/safety'
import { blockedBy, hostText, killswitchText, tradingText } from './truth-text'

const now = Date.parse('2026-12-01T20:00:00Z')
const known = <T>(value: T) => ({
  known: true as const,
  value,
  version: 3,
  at: '2026-12-01T19:00:00Z',
  source: 'redis',
})
const base = (over: Partial<SafetyState> = {}): SafetyState => ({
  version: 1,
  at: '',
  trading: known({
    enabled: true,
    source: 'schedule' as const,
    who: 'schedule',
    why: 'window',
    since: '2026-12-01T19:00:00Z',
  }),
  killswitch: known({
    engaged: false,
    reason: null,
    who: null,
    changedAt: null,
    latched: false,
    resumeMode: 'manual' as const,
    stored: true,
  }),
  bus: known({ state: 'ready' as const, url: 'redis://x', error: null }),
  engines: [],
  schedule: known({
    configured: true,
    desired: true,
    source: 'schedule' as const,
    nextKind: 'stop' as const,
    nextAt: '2026-12-01T21:22:00Z',
    vetoed: null,
  }),
  containers: known({ total: 0, running: 0, paused: 0, other: 0, unreachable: [] }),
  ...over,
})

describe('truth line texts', () => {
  it('shows the countdown only when the schedule decides', () => {
    expect(tradingText(base(), now).label).toBe('trading enabled by the schedule · stop in 1h 22m')
    const ks = base({
      trading: known({
        enabled: false,
        source: 'killswitch' as const,
        who: 'trader',
        why: 'killswitch: drill',
        since: '',
      }),
      killswitch: known({
        engaged: true,
        reason: 'drill',
        who: 'trader',
        changedAt: null,
        latched: true,
        resumeMode: 'manual' as const,
        stored: true,
      }),
    })
    expect(tradingText(ks, now).label).toBe('trading disabled by killswitch')
    const latched = base({
      trading: known({
        enabled: false,
        source: 'killswitch' as const,
        who: 'trader',
        why: 'killswitch: drill',
        since: '',
      }),
      killswitch: known({
        engaged: false,
        reason: 'over',
        who: 'trader',
        changedAt: null,
        latched: true,
        resumeMode: 'manual' as const,
        stored: true,
      }),
    })
    expect(tradingText(latched, now).label).toBe(
      'trading disabled by killswitch latch (released, not resumed)',
    )
    expect(killswitchText(latched).state).toBe('latched')
  })

  it('draws unknown as unknown and blocks what depends on it, saying why', () => {
    const down = base({
      trading: { known: false, since: '2026-12-01T20:01:13Z', reason: 'Redis unreachable' },
      killswitch: { known: false, since: '2026-12-01T20:01:13Z', reason: 'Redis unreachable' },
      bus: known({ state: 'down' as const, url: 'redis://x', error: 'ECONNREFUSED' }),
    })
    const t = tradingText(down, now)
    expect(t).toMatchObject({ tone: 'unknown', state: 'unknown' })
    expect(t.label).toMatch(/^trading unknown: Redis unreachable since \d\d:\d\d:\d\d$/)
    expect(killswitchText(down).tone).toBe('unknown')
    expect(blockedBy(down, false, 'killswitch')).toMatch(/Redis is unreachable/)
    expect(blockedBy(base(), true, 'killswitch')).toMatch(/stale/)
    expect(blockedBy(base(), false, 'killswitch')).toBeNull()
  })
})

describe('host chip', () => {
  const facts = {
    kind: 'headless' as const,
    url: 'http://127.0.0.1:7420',
    hostname: 'colo-1',
    stateDir: '/var/lib/stackdeck',
    pid: 42,
  }

  it('names the host the page came from, its kind and machine, once app.info has answered', () => {
    expect(hostText('ws', 'open', facts, '127.0.0.1:7420')).toMatchObject({
      tone: 'ok',
      label: 'host 127.0.0.1:7420 · headless host on colo-1: open',
      title: expect.stringContaining('pid 42), state directory /var/lib/stackdeck') as string,
    })
    // Before app.info: only what is known, the address.
    expect(hostText('ws', 'connecting', null, '127.0.0.1:7421')).toMatchObject({
      tone: 'bad',
      label: 'host 127.0.0.1:7421: connecting',
      title: expect.stringContaining('not known yet') as string,
    })
  })

  it('over IPC it is the window’s own core, with its API URL in the title', () => {
    const t = hostText('ipc', 'open', { ...facts, kind: 'desktop' }, 'stackdeck')
    expect(t.label).toBe('app: open')
    expect(t.title).toContain('its control API is at http://127.0.0.1:7420')
  })
})
