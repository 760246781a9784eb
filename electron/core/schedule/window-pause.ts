/**
 * `schedule.pauseOutsideWindow`: pause the stack when a trading window closes, resume it when the
 * next one opens. The resume touches only what the close paused itself: a container the trader
 * paused by hand (before the close, or that was already paused) stays paused when the window
 * opens. What the close froze is kept in a small fsynced file, so a restart of Stackdeck between
 * close and open still knows exactly what is its own to resume.
 */
import { readFile } from 'node:fs/promises'
import { replaceFileDurably, reportOnce } from '../shared/durable-file'
import type { FrozenRef, PauseEffect, ResumeEffect } from '../bus/killswitch'

export interface WindowPauseDeps {
  /** Pause every stack container; report what this call froze and what was paused already. */
  pause(why: string): Promise<PauseEffect>
  /** Unpause exactly these containers, where still paused. */
  resume(refs: FrozenRef[], why: string): Promise<ResumeEffect>
  /** Non-null: resuming now would undo someone else's stop (e.g. the killswitch is engaged). */
  blockedReason(): string | null
  notify(n: { level: 'info' | 'warning'; title: string; message: string }): void
  statePath: string
  log?: (line: string) => void
}

interface Record {
  version: 1
  /** Containers the window close paused itself and no open has resumed yet. */
  frozen: FrozenRef[]
  /** Containers already paused when the window closed: never resumed by the schedule. */
  leftAlone: FrozenRef[]
  at: string
}

const keyOf = (r: FrozenRef) => `${r.endpoint}/${r.id}`
const names = (rs: FrozenRef[]) => rs.map((r) => r.name).join(', ')
function union(a: FrozenRef[], b: FrozenRef[]): FrozenRef[] {
  const seen = new Set(a.map(keyOf))
  const out = [...a]
  for (const r of b) {
    if (seen.has(keyOf(r))) continue
    seen.add(keyOf(r))
    out.push(r)
  }
  return out
}

export class WindowPauser {
  private chain: Promise<unknown> = Promise.resolve()

  private readonly reportDirSync: ReturnType<typeof reportOnce>

  constructor(private readonly d: WindowPauseDeps) {
    this.reportDirSync = reportOnce(d.log)
  }

  /** One transition at a time, in order: a quick close → open must not interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn)
    this.chain = next.catch(() => undefined)
    return next
  }

  closed(why: string): Promise<void> {
    return this.serial(async () => {
      const prev = await this.read()
      const e = await this.d.pause(why)
      const frozen = union(prev.frozen, e.paused)
      const mine = new Set(frozen.map(keyOf))
      const leftAlone = union(prev.leftAlone, e.alreadyPaused).filter((r) => !mine.has(keyOf(r)))
      await this.write({ version: 1, frozen, leftAlone, at: new Date().toISOString() })
      if (leftAlone.length > 0)
        this.d.notify({
          level: 'info',
          title: 'Trading window closed: stack paused',
          message: `Paused ${e.paused.length} container(s). Already paused by someone else, and left paused when the window opens: ${names(leftAlone)}.`,
        })
    })
  }

  opened(why: string): Promise<ResumeEffect | null> {
    return this.serial(async () => {
      const rec = await this.read()
      if (rec.frozen.length === 0) {
        if (rec.leftAlone.length > 0) {
          this.d.notify({ level: 'info', title: 'Trading window opened', message: `Left paused, as someone else paused them: ${names(rec.leftAlone)}.` })
          await this.write({ ...rec, leftAlone: [] })
        }
        return null
      }
      const blocked = this.d.blockedReason()
      if (blocked) {
        // Keep the record: the containers stay paused, and the trader is told which and why.
        this.d.notify({
          level: 'warning',
          title: 'Trading window opened, stack left paused',
          message: `Not resumed because ${blocked}: ${names(rec.frozen)}. Resume them from the Stack tab when it is safe.`,
        })
        return null
      }
      const r = await this.d.resume(rec.frozen, why)
      await this.write({ version: 1, frozen: r.failed.map(({ error: _e, ...ref }) => ref), leftAlone: [], at: new Date().toISOString() })
      const parts = [`Resumed ${r.resumed.length} container(s) the schedule had paused.`]
      if (rec.leftAlone.length) parts.push(`Left paused, as someone else paused them: ${names(rec.leftAlone)}.`)
      if (r.notPaused.length) parts.push(`Already running again (resumed by someone else): ${names(r.notPaused)}.`)
      if (r.failed.length) parts.push(`Could not resume: ${r.failed.map((f) => `${f.name} (${f.error})`).join(', ')}; still paused.`)
      if (rec.leftAlone.length || r.notPaused.length || r.failed.length)
        this.d.notify({ level: r.failed.length ? 'warning' : 'info', title: 'Trading window opened', message: parts.join(' ') })
      this.d.log?.(parts.join(' '))
      return r
    })
  }

  /** What the schedule has frozen and not yet resumed (for tests and status). */
  async pending(): Promise<{ frozen: FrozenRef[]; leftAlone: FrozenRef[] }> {
    const r = await this.read()
    return { frozen: r.frozen, leftAlone: r.leftAlone }
  }

  private async read(): Promise<Record> {
    try {
      const v = JSON.parse(await readFile(this.d.statePath, 'utf8')) as Partial<Record>
      return {
        version: 1,
        frozen: Array.isArray(v.frozen) ? v.frozen : [],
        leftAlone: Array.isArray(v.leftAlone) ? v.leftAlone : [],
        at: typeof v.at === 'string' ? v.at : '',
      }
    } catch {
      // Missing (never closed) or unreadable: nothing is known to be ours, so nothing is resumed.
      return { version: 1, frozen: [], leftAlone: [], at: '' }
    }
  }

  /** Temp file, fsync, rename, fsync the directory: a crash leaves the old record or the new. */
  private async write(rec: Record): Promise<void> {
    this.reportDirSync(await replaceFileDurably(this.d.statePath, JSON.stringify(rec, null, 2)))
  }
}
