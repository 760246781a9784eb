import { describe, expect, it } from 'vitest'
import { ScheduleRulesSource } from './rules-source'

const good = { start: '09:30', stop: '16:00', timezone: 'America/New_York', days: ['mon', 'tue'] }

describe('ScheduleRulesSource', () => {
  it('follows the file: rules, then none when [schedule] goes away', async () => {
    let value: unknown = { schedule: good }
    const src = new ScheduleRulesSource(async () => ({ value }))
    await src.refresh()
    expect(src.current()).not.toBeNull()
    expect(src.currentProblem()).toBeNull()
    value = { other: 1 }
    await src.refresh()
    expect(src.current()).toBeNull()
    expect(src.currentProblem()).toBeNull()
  })

  it('an invalid [schedule] or an unreadable file leaves no rules and a problem, never the last good rules', async () => {
    let load: () => Promise<{ value: unknown }> = async () => ({ value: { schedule: good } })
    const src = new ScheduleRulesSource(() => load())
    await src.refresh()
    expect(src.current()).not.toBeNull()
    load = async () => ({ value: { schedule: { timezone: 'Nowhere/Land', windows: 'x' } } })
    await src.refresh()
    expect(src.current()).toBeNull()
    expect(src.currentProblem()?.message).toMatch(/^config\.toml \[schedule\] is invalid: /)
    expect(src.currentProblem()?.details.length).toBeGreaterThan(0)
    load = async () => Promise.reject(new Error('EACCES: config.toml'))
    await src.refresh()
    expect(src.currentProblem()).toEqual({ message: 'EACCES: config.toml', details: [] })
  })
})
