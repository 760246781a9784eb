/**
 * The directory lock with real sockets and real processes: a second taker is refused and told who
 * holds it, a release frees it, and a holder killed with SIGKILL leaves nothing stale behind, for
 * the Linux abstract socket and for the socket file macOS uses (which runs on Linux too).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireDirLock, describeHolder, lockAddress, type LockStrategy } from './dir-lock'

const dirs: string[] = []
const procs: ChildProcess[] = []
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sd-lock-'))
  dirs.push(d)
  return d
}
const me = { pid: process.pid, startedAt: '2026-12-03T10:00:00.000Z', door: 'test' }

/** A separate Node process that takes the lock (same module, through tsx) and prints "held". */
function holderProcess(dir: string, strategy: LockStrategy): Promise<ChildProcess> {
  const script = join(tempDir(), 'hold.mts')
  writeFileSync(
    script,
    `import { acquireDirLock } from ${JSON.stringify(join(import.meta.dirname, 'dir-lock.ts'))}
const r = await acquireDirLock(${JSON.stringify(dir)}, 'instance', { pid: process.pid, startedAt: new Date().toISOString(), door: 'child', url: 'http://127.0.0.1:1' }, { strategy: ${JSON.stringify(strategy)} })
console.log(r.acquired ? 'held' : 'refused')
setInterval(() => undefined, 1000)
`,
  )
  const proc = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  procs.push(proc)
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('held')) resolve(proc)
      if (out.includes('refused')) reject(new Error('the child was refused'))
    })
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    proc.on('exit', (code) => reject(new Error(`holder exited ${code}: ${out}`)))
  })
}

const kill9 = (p: ChildProcess) =>
  new Promise<void>((r) => {
    p.once('exit', () => r())
    p.kill('SIGKILL')
  })

describe.each(['abstract', 'socket-file'] as const)('the directory lock (%s)', (strategy) => {
  it.skipIf(strategy === 'abstract' && process.platform !== 'linux')('refuses a second taker, naming the holder, and frees on release', async () => {
    const dir = tempDir()
    const first = await acquireDirLock(dir, 'instance', { ...me, url: 'http://127.0.0.1:7420' }, { strategy })
    expect(first.acquired).toBe(true)
    if (!first.acquired) return
    first.lock.update({ url: 'http://127.0.0.1:7777' })
    const second = await acquireDirLock(dir, 'instance', { ...me, pid: 1 }, { strategy })
    expect(second).toMatchObject({ acquired: false, holder: { pid: process.pid, door: 'test', url: 'http://127.0.0.1:7777' } })
    if (!second.acquired) expect(describeHolder(second.holder)).toBe(`pid ${process.pid} (test, http://127.0.0.1:7777, since 2026-12-03T10:00:00.000Z)`)
    // Another name on the same directory is another lock.
    const other = await acquireDirLock(dir, 'config-run', me, { strategy })
    expect(other.acquired).toBe(true)
    if (other.acquired) await other.lock.release()
    await first.lock.release()
    const third = await acquireDirLock(dir, 'instance', me, { strategy })
    expect(third.acquired).toBe(true)
    if (third.acquired) await third.lock.release()
    if (strategy === 'socket-file') expect(existsSync(join(dir, '.instance.lock.sock'))).toBe(false)
  })

  it.skipIf(strategy === 'abstract' && process.platform !== 'linux')('is free at once after its holder is killed with SIGKILL', async () => {
    const dir = tempDir()
    const child = await holderProcess(dir, strategy)
    const refused = await acquireDirLock(dir, 'instance', me, { strategy })
    expect(refused).toMatchObject({ acquired: false, holder: { pid: child.pid, door: 'child' } })
    await kill9(child)
    // The socket file is still there (nobody unlinked it), and must be judged stale.
    if (strategy === 'socket-file') expect(existsSync(join(dir, '.instance.lock.sock'))).toBe(true)
    const t0 = Date.now()
    const after = await acquireDirLock(dir, 'instance', me, { strategy })
    expect(after.acquired).toBe(true)
    expect(Date.now() - t0).toBeLessThan(1000)
    if (after.acquired) await after.lock.release()
  })
})

describe('the lock names a directory, not a spelling', () => {
  it('a symlink to the directory is the same lock', async () => {
    const base = tempDir()
    const real = join(base, 'state')
    mkdirSync(real)
    symlinkSync(real, join(base, 'link'))
    expect(lockAddress(join(base, 'link'), 'instance', 'abstract')).toBe(lockAddress(real, 'instance', 'abstract'))
    expect(lockAddress(join(base, 'state', '..', 'state'), 'instance', 'abstract')).toBe(lockAddress(real, 'instance', 'abstract'))
    expect(lockAddress(base, 'instance', 'abstract')).not.toBe(lockAddress(real, 'instance', 'abstract'))
  })

  it('a socket path too long for sockaddr_un moves to the temp directory, keyed by the hash', () => {
    const deep = join(tempDir(), 'x'.repeat(60), 'y'.repeat(60))
    const addr = lockAddress(deep, 'instance', 'socket-file', true)
    expect(addr.startsWith(tmpdir())).toBe(true)
    expect(addr).toMatch(/stackdeck-instance-[0-9a-f]{32}\.sock$/)
  })

  it('a missing directory is an error naming it, unless asked to create it', async () => {
    const missing = join(tempDir(), 'config')
    await expect(acquireDirLock(missing, 'config-run', me)).rejects.toThrow(`Cannot lock ${missing}: ENOENT`)
    const made = await acquireDirLock(missing, 'instance', me, { create: true })
    expect(made.acquired).toBe(true)
    if (made.acquired) await made.lock.release()
  })
})
