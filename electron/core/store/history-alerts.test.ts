import { describe, expect, it } from 'vitest'
import { historyAlertFor } from './history-alerts'
import type { HistoryServiceStatus } from './history-service'

const st = (
  state: HistoryServiceStatus['state'],
  extra: Partial<HistoryServiceStatus> = {},
): HistoryServiceStatus => ({
  engine: 'postgres',
  state,
  reason: state === 'writing' ? null : 'connect ECONNREFUSED 127.0.0.1:5433',
  since: null,
  written: 0,
  buffered: 0,
  dropped: { evicted: 0, overflow: 0 },
  lagMs: 0,
  lastWriteAt: null,
  disk: { bytes: null, limit: 1, percent: null },
  events: null,
  oldest: null,
  retentionDropped: 0,
  ...extra,
})

describe('historyAlertFor', () => {
  it('warns once when writing stops, naming the reason, and not again while it stays down', () => {
    const a = historyAlertFor('writing', st('paused'))
    expect(a).toMatchObject({ id: 'history-store', level: 'warning', sticky: true })
    expect(a?.message).toContain('ECONNREFUSED')
    expect(historyAlertFor('paused', st('paused'))).toBeNull()
    expect(historyAlertFor('opening', st('unavailable'))?.title).toMatch(/cannot be opened/)
  })

  it('replaces the warning on recovery: info when nothing was lost, a sticky warning naming the gap otherwise', () => {
    expect(historyAlertFor('paused', st('writing'))).toMatchObject({
      id: 'history-store',
      level: 'info',
      sticky: false,
    })
    const gap = historyAlertFor('paused', st('writing', { dropped: { evicted: 3, overflow: 1200 } }))
    expect(gap).toMatchObject({ level: 'warning', sticky: true })
    expect(gap?.message).toContain('1,203 events')
  })

  it('says nothing for a normal start or a status tick', () => {
    expect(historyAlertFor(null, st('writing'))).toBeNull()
    expect(historyAlertFor('opening', st('writing'))).toBeNull()
    expect(historyAlertFor('writing', st('writing'))).toBeNull()
  })
})
