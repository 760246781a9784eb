import assert from 'node:assert/strict'
import { After, Given, Then, When } from '@cucumber/cucumber'
import type { ScheduleWorld } from './schedule-world'

const MINUTE = 60_000
const iso = (t: number) => new Date(t).toISOString()
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

After(function (this: ScheduleWorld) {
  this.stop()
})

// ----- Given: the rules and the world before Stackdeck runs -----

Given('schedule.{word} = {string}', function (this: ScheduleWorld, field: string, value: string) {
  this.raw[field] = field === 'days' || field === 'holidays' ? list(value) : value
})

Given('today is {int}-{int}-{int}', function (this: ScheduleWorld, y: number, m: number, d: number) {
  this.today = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
})

Given(/^trading_enabled = (true|false)$/, function (this: ScheduleWorld, value: string) {
  this.initialFlag = value === 'true'
})

Given(/^Stackdeck is running at (\d\d:\d\d)$/, async function (this: ScheduleWorld, hhmm: string) {
  await this.startAt(this.localInstant(this.today, hhmm))
  this.mark()
})

// ----- When -----

When(/^Stackdeck starts at (\d\d:\d\d)$/, async function (this: ScheduleWorld, hhmm: string) {
  this.mark()
  await this.startAt(this.localInstant(this.today, hhmm))
  this.reachedAt = this.clock!.now().getTime()
})

When(/^system time reaches (\d\d:\d\d)$/, async function (this: ScheduleWorld, hhmm: string) {
  if (!this.scheduler) {
    // Not running yet: start half an hour earlier today, so the change is made by the timer, not at start-up.
    const target = this.localInstant(this.today, hhmm)
    await this.startAt(target - 30 * MINUTE)
    this.mark()
    await this.clock!.advanceTo(target)
    this.reachedAt = target
    return
  }
  this.mark()
  const target = this.nextLocal(hhmm, this.clock!.now().getTime())
  await this.clock!.advanceTo(target)
  this.reachedAt = target
})

When(
  /^the machine sleeps until (\d\d:\d\d) the next day$/,
  async function (this: ScheduleWorld, hhmm: string) {
    this.mark()
    const clock = this.clock!
    const now = clock.now().getTime()
    const tomorrow = new Date(Date.parse(`${this.today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
    // Suspend: the wall clock moves, timers do not; the capped timer wakes the scheduler within a minute.
    clock.jump(this.localInstant(tomorrow, hhmm) - now)
    await clock.advance(MINUTE)
  },
)

When(
  /^"([^"]+)" overrides trading to (on|off) until the next transition$/,
  async function (this: ScheduleWorld, who: string, onOff: string) {
    this.mark()
    await this.scheduler!.override({ value: onOff === 'on', until: 'next-transition' }, who)
    this.reachedAt = this.clock!.now().getTime()
  },
)

// ----- Then -----

Then(/^trading_enabled is set to (true|false)$/, async function (this: ScheduleWorld, value: string) {
  const want = value === 'true'
  assert.equal((await this.flag!.get())?.value, want, 'trading_enabled')
  const writes = this.flag!.writes.slice(this.writesMark)
  assert.equal(writes.length, 1, `exactly one write of trading_enabled, got ${JSON.stringify(writes)}`)
  const events = this.events.slice(this.eventsMark)
  assert.equal(events.length, 1, 'exactly one schedule.transition event')
  const ev = events[0]!
  assert.equal(ev.enabled, want)
  assert.equal(ev.kind, want ? 'start' : 'stop')
  if (this.reachedAt !== null)
    assert.equal(ev.at, iso(this.reachedAt), 'written at the moment the time was reached')
})

Then(/^trading_enabled stays (true|false)$/, async function (this: ScheduleWorld, value: string) {
  assert.equal((await this.flag!.get())?.value, value === 'true', 'trading_enabled')
  assert.deepEqual(this.flag!.writes.slice(this.writesMark), [], 'no write of trading_enabled')
  assert.deepEqual(this.events.slice(this.eventsMark), [], 'no schedule.transition event (nothing replayed)')
})

Then(
  'the transition happened at {string} and is noted {string}',
  function (this: ScheduleWorld, at: string, note: string) {
    const ev = this.events.at(-1)
    assert.ok(ev, 'a transition was announced')
    assert.equal(ev.at, iso(Date.parse(at)))
    const tr = this.scheduler!.describe(new Date(Date.parse(at) - 1)).next
    assert.equal(tr?.at, iso(Date.parse(at)))
    assert.equal(tr?.note, note)
  },
)

Then('the state reason says {string}', function (this: ScheduleWorld, text: string) {
  const reason = this.scheduler!.status().window?.reason ?? ''
  assert.ok(reason.includes(text), `reason "${reason}" should mention "${text}"`)
})

Then(
  /^the next transition is a (start|stop) at "([^"]+)"$/,
  function (this: ScheduleWorld, kind: string, local: string) {
    const next = this.scheduler!.status().next
    assert.equal(next?.kind, kind)
    assert.equal(next?.local, local)
  },
)

Then(
  'the override is shown as set by {string} until {string}',
  function (this: ScheduleWorld, who: string, local: string) {
    const st = this.scheduler!.status()
    assert.equal(st.source, 'override')
    assert.equal(st.override?.who, who)
    assert.equal(st.override?.expiresAt, iso(this.localInstant(local.slice(0, 10), local.slice(11))))
  },
)

Then('the override has ended', function (this: ScheduleWorld) {
  const st = this.scheduler!.status()
  assert.equal(st.override, null)
  assert.equal(st.source, 'schedule')
})
