/**
 * The host's own admin token (no STACKDECK_TOKEN, no api.token, no scoped tokens): kept in
 * `<stateDir>/api-token` at mode 0600, reused by the next start, replaced by `api.rotateToken`, and
 * refused when the file is readable by others. Real host and sockets through the harness, in process
 * (no Docker or Redis needed: these are the host's own acts), with restarts on one state directory.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ensureBuilt, errorOf, runCli } from '../../test-support/api-harness'
import { startStackdeckUnderTest, type InProcessStackdeck } from '../../test-support/stackdeck-under-test'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stackdeck-token-test-'))
  dirs.push(d)
  return d
}

const start = (dir: string, env: Record<string, string> = {}) =>
  startStackdeckUnderTest({
    settings: {
      docker: { endpoints: [{ id: 'none', url: 'unix:///nonexistent/docker.sock' }] },
      redis: { url: 'redis://127.0.0.1:1' },
      stateDir: dir,
      api: { port: 0 },
    },
    inProcess: { env },
  })

const modeOf = (p: string) => statSync(p).mode & 0o777
const infoStatus = async (sut: InProcessStackdeck, token: string) => (await sut.client.get('/info', token)).status

/** The status a WebSocket upgrade with `token` is answered with (101 when it opens). */
function upgradeStatus(sut: InProcessStackdeck, token: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${sut.port}/api/ws`, ['stackdeck.v1', `bearer.${token}`])
    ws.on('error', () => undefined)
    ws.on('open', () => {
      ws.close()
      resolve(101)
    })
    ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0))
  })
}

describe('the host keeps its own admin token', () => {
  it('makes it once at mode 0600, and a restart reuses it (same URL)', async () => {
    const dir = stateDir()
    const file = join(dir, 'api-token')
    const first = await start(dir)
    let token: string
    try {
      expect(first.host.adminTokenSource).toBe('file')
      expect(first.host.tokenCreated).toBe(true)
      expect(first.host.tokenFile).toBe(file)
      token = first.host.adminToken as string
      expect(token.length).toBeGreaterThanOrEqual(32)
      expect(readFileSync(file, 'utf8').trim()).toBe(token)
      expect(modeOf(file)).toBe(0o600)
      expect(await infoStatus(first, token)).toBe(200)
    } finally {
      await first.stop()
    }
    const second = await start(dir)
    try {
      expect(second.host.tokenCreated).toBe(false)
      expect(second.host.adminToken).toBe(token)
      expect(await infoStatus(second, token)).toBe(200)
    } finally {
      await second.stop()
    }
  })

  it('api.rotateToken gives a new token and URL, persists it, and the old one stops working', async () => {
    const dir = stateDir()
    const file = join(dir, 'api-token')
    const sut = await start(dir)
    let rotated: string
    try {
      const old = sut.host.adminToken as string
      const wsBefore = await upgradeStatus(sut, old)
      expect(wsBefore).toBe(101)
      const r = await sut.client.post('/api/rpc/api.rotateToken', { reason: 'test rotation' }, old)
      expect(r.status).toBe(200)
      const res = (r.json as { ok: boolean; result: { token: string; url: string } }).result
      rotated = res.token
      expect(rotated).not.toBe(old)
      expect(res.url).toBe(`${sut.url}/#token=${rotated}`)
      expect(sut.host.adminToken).toBe(rotated)
      expect(readFileSync(file, 'utf8').trim()).toBe(rotated)
      expect(modeOf(file)).toBe(0o600)
      // The old token opens neither a request nor a connection; the new one does.
      expect(await infoStatus(sut, old)).toBe(401)
      expect(await upgradeStatus(sut, old)).toBe(401)
      expect(await infoStatus(sut, rotated)).toBe(200)
      expect(await upgradeStatus(sut, rotated)).toBe(101)
      // Audited, with the reason, and the new token is nowhere in the log.
      const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      const rec = audit
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; reason?: string; outcome: string; who: string })
        .find((e) => e.action === 'api.rotateToken')
      expect(rec).toMatchObject({ who: 'admin', outcome: 'ok', reason: 'test rotation' })
      expect(audit).not.toContain(rotated)
      expect(audit).not.toContain(old)
    } finally {
      await sut.stop()
    }
    const again = await start(dir)
    try {
      expect(again.host.adminToken).toBe(rotated)
    } finally {
      await again.stop()
    }
  })

  it('two rotations at once leave the file and the host holding the same one token', async () => {
    const dir = stateDir()
    const sut = await start(dir)
    try {
      const old = sut.host.adminToken as string
      const answers = await Promise.all(
        [1, 2].map(() => sut.client.post('/api/rpc/api.rotateToken', {}, old)),
      )
      // Both passed the gate with the old token, or the second came after the first was done (401).
      const given = answers
        .filter((r) => r.status === 200)
        .map((r) => (r.json as { result: { token: string } }).result.token)
      expect(given.length).toBeGreaterThanOrEqual(1)
      const held = sut.host.adminToken as string
      expect(given).toContain(held)
      expect(readFileSync(join(dir, 'api-token'), 'utf8').trim()).toBe(held)
      expect(await infoStatus(sut, held)).toBe(200)
      for (const t of [old, ...given.filter((g) => g !== held)]) expect(await infoStatus(sut, t)).toBe(401)
    } finally {
      await sut.stop()
    }
  })

  it('`stackdeck token rotate` asks for --yes, then prints the new token first and the URL', async () => {
    ensureBuilt()
    const dir = stateDir()
    const sut = await start(dir)
    try {
      const old = sut.host.adminToken as string
      const env = { STACKDECK_URL: sut.url, STACKDECK_TOKEN: old }
      const unconfirmed = await runCli(['token', 'rotate'], env)
      expect(unconfirmed.code, unconfirmed.stderr).toBe(2)
      expect(unconfirmed.stderr).toContain('pass --yes')
      expect(sut.host.adminToken).toBe(old)

      const r = await runCli(['token', 'rotate', '--reason', 'cli test', '--yes'], env)
      expect(r.code, r.stderr).toBe(0)
      const [first, second] = r.stdout.split('\n')
      expect(first).toBe(sut.host.adminToken)
      expect(first).not.toBe(old)
      expect(second).toBe(`Open: ${sut.url}/#token=${first}`)
      expect(await infoStatus(sut, old)).toBe(401)
      // The old token is now refused: exit 4, like any wrong token.
      expect((await runCli(['token', 'rotate', '--yes'], env)).code).toBe(4)
    } finally {
      await sut.stop()
    }
  })

  it('refuses a token file that group or others may read, and says how to go on', async () => {
    const dir = stateDir()
    const file = join(dir, 'api-token')
    writeFileSync(file, 'a'.repeat(43) + '\n')
    chmodSync(file, 0o644)
    const err = await start(dir).then(
      async (s) => {
        await s.stop()
        return null
      },
      (e: unknown) => e as Error,
    )
    expect(err?.message).toMatch(/Refusing the admin token file .*api-token: it has mode 644: group or others may read it/)
    expect(err?.message).toContain(`chmod 600 ${file}`)
    // Refused, not repaired: the file is as it was.
    expect(modeOf(file)).toBe(0o644)
  })

  it('refuses to rotate a token fixed by STACKDECK_TOKEN, and writes no file', async () => {
    const dir = stateDir()
    const fixed = 'fixed-token-0123456789abcdef'
    const sut = await start(dir, { STACKDECK_TOKEN: fixed })
    try {
      expect(sut.host.adminTokenSource).toBe('env')
      const r = await sut.client.post('/api/rpc/api.rotateToken', {}, fixed)
      expect(r.status).toBe(409)
      expect(errorOf(r)).toMatchObject({ code: 'conflict' })
      expect(String(errorOf(r)?.message)).toContain('STACKDECK_TOKEN')
      expect(await infoStatus(sut, fixed)).toBe(200)
      expect(() => statSync(join(dir, 'api-token'))).toThrow()
    } finally {
      await sut.stop()
    }
  })
})
