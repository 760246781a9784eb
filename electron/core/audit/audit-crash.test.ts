import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AuditRecordT } from '../api/contract/audit'

// A real child process, killed with SIGKILL the moment it reports a resolved append.
const SCRIPT = resolve(import.meta.dirname, 'fixtures/append-then-hang.ts')
const ROUNDS = 20
// Two files killed in parallel halve the wall time; each file has one writer at a time, as in production.
const LANES = 2

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stackdeck-audit-crash-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function appendAndKill(path: string, tag: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, path, tag], {
      cwd: resolve(import.meta.dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let seq: number | null = null
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child never wrote: ${err}`))
    }, 60_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /written (\d+)\n/.exec(out)
      if (m && seq === null) {
        seq = Number(m[1])
        child.kill('SIGKILL')
      }
    })
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('exit', (_code, signal) => {
      clearTimeout(timer)
      if (seq === null) reject(new Error(`child exited without writing (${signal ?? _code}): ${err}`))
      else if (signal !== 'SIGKILL') reject(new Error(`child ended by ${signal ?? _code}, not SIGKILL`))
      else resolvePromise(seq)
    })
  })
}

describe('audit log under SIGKILL', () => {
  it('keeps every record whose append resolved, and stays readable', async () => {
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const path = join(dir, `audit-${lane}.jsonl`)
        const reported: Array<{ tag: string; seq: number }> = []
        for (let i = 0; i < ROUNDS / LANES; i++) {
          const tag = `lane-${lane}-round-${i}`
          reported.push({ tag, seq: await appendAndKill(path, tag) })
        }
        const records: AuditRecordT[] = []
        for (const l of (await readFile(path, 'utf8')).split('\n')) {
          try {
            records.push(JSON.parse(l) as AuditRecordT)
          } catch {
            // A line torn by the kill: tolerated, never a reported record.
          }
        }
        for (const { tag, seq } of reported) {
          expect(records).toContainEqual(expect.objectContaining({ seq, action: 'test.crash', target: tag }))
        }
        const seqs = records.map((r) => r.seq)
        expect(new Set(seqs).size).toBe(seqs.length)
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      }),
    )
  }, 240_000)
})
