import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BackoffStore } from './backoff-store'

describe('BackoffStore', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-backoff-'))
    path = join(dir, 'nested', 'supervise.json')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('round-trips the backoff state through the file', async () => {
    const a = new BackoffStore(path)
    const rec = a.container('scanner', 'c1', 'scanner-1')
    Object.assign(rec, { restarts: 3, consecutiveFailures: 2, lastRestartAt: 1000, nextAttemptAt: 5000, awaitingVerdict: true })
    a.service('scanner').failed = true
    await a.save()

    const b = new BackoffStore(path)
    await b.load()
    expect(b.peekContainer('scanner', 'c1')).toEqual({
      name: 'scanner-1',
      restarts: 3,
      consecutiveFailures: 2,
      lastRestartAt: 1000,
      nextAttemptAt: 5000,
      awaitingVerdict: true,
      inFlightUntil: null,
      interruptNoted: false,
    })
    expect(b.peekService('scanner')?.failed).toBe(true)
    // No temp files left behind by the atomic write.
    expect(await readdir(join(dir, 'nested'))).toEqual(['supervise.json'])
  })

  it('serializes overlapping saves; the file ends with the latest state', async () => {
    const s = new BackoffStore(path)
    const writes: Promise<void>[] = []
    for (let i = 1; i <= 20; i++) {
      s.container('scanner', 'c1', 'scanner-1').restarts = i
      writes.push(s.save())
    }
    await Promise.all(writes)
    const doc = JSON.parse(await readFile(path, 'utf8')) as { services: Record<string, { containers: Record<string, { restarts: number }> }> }
    expect(doc.services['scanner']?.containers['c1']?.restarts).toBe(20)
    expect(await readdir(join(dir, 'nested'))).toEqual(['supervise.json'])
  })

  it('moves an unreadable file aside and starts fresh', async () => {
    const s0 = new BackoffStore(path)
    await s0.save()
    await writeFile(path, '{ torn')
    const logs: string[] = []
    const s2 = new BackoffStore(path, (m) => logs.push(m))
    await s2.load()
    expect(s2.peekService('scanner')).toBeUndefined()
    expect(logs[0]).toMatch(/unreadable/)
    const names = await readdir(join(dir, 'nested'))
    expect(names.some((n) => n.startsWith('supervise.json.corrupt-'))).toBe(true)
  })

  it('drops fields of the wrong type instead of trusting them', async () => {
    await writeFile(
      join(dir, 'hand.json'),
      JSON.stringify({ version: 1, services: { s: { failed: 'yes', containers: { c: { restarts: -4, nextAttemptAt: 'soon', awaitingVerdict: 1 } } } } }),
    )
    const s = new BackoffStore(join(dir, 'hand.json'))
    await s.load()
    expect(s.peekService('s')?.failed).toBe(false)
    expect(s.peekContainer('s', 'c')).toMatchObject({ restarts: 0, nextAttemptAt: null, awaitingVerdict: false })
  })

  it('reset clears counters but keeps a restart that is still in flight', async () => {
    const s = new BackoffStore(null)
    Object.assign(s.container('svc', 'busy', 'busy'), { restarts: 5, consecutiveFailures: 2, inFlightUntil: 2000, lastRestartAt: 900 })
    Object.assign(s.container('svc', 'done', 'done'), { restarts: 5, consecutiveFailures: 2, inFlightUntil: null })
    s.service('svc').failed = true
    s.reset('svc', 1000)
    expect(s.peekService('svc')?.failed).toBe(false)
    expect(s.peekContainer('svc', 'done')).toBeUndefined()
    expect(s.peekContainer('svc', 'busy')).toMatchObject({ restarts: 0, consecutiveFailures: 0, inFlightUntil: 2000, lastRestartAt: 900 })
  })

  it('prunes containers that no longer exist', () => {
    const s = new BackoffStore(null)
    s.container('svc', 'a', 'a')
    s.container('svc', 'b', 'b')
    expect(s.prune('svc', new Set(['a']))).toBe(true)
    expect(s.peekContainer('svc', 'b')).toBeUndefined()
    expect(s.prune('svc', new Set(['a']))).toBe(false)
  })
})
