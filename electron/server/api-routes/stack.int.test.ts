/**
 * The stack's REST routes (list, status, pause, resume, signal, config views, restart) against the
 * REAL built host process, the private Docker engine (fixture containers) and the private Redis (test-
 * support/route-stack.ts): each result checked against the contract with ajv, each side effect checked
 * at the source (docker inspect, the file on disk, Redis, container logs).
 */
import { readFile } from 'node:fs/promises'
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { containerLogs, hasTestDocker, waitForLog } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { dockerState, dockerStates, sha256 } from '../../../test-support/api-harness'
import { countLines, happyPaths, startedAt, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: the stack', () => {
  const rs = useRouteStack()

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'stack.list',
      async () => {
        const s = await rs.ok('stack.list', {}, rs.tokens.read)
        const ids = (name: string) =>
          s.services
            .find((x) => x.name === name)
            ?.containers.map((c) => c.id)
            .sort()
        expect(ids('orch')).toEqual([...rs.orch].sort())
        expect(ids('scan')).toEqual([...rs.scan])
        expect(s.endpoints).toEqual([expect.objectContaining({ id: 'test', reachable: true })])
      },
    ],
    [
      'stack.status',
      async () => {
        const s = await rs.ok('stack.status', {}, rs.tokens.read)
        expect(s.state).toBe('running')
        expect(s.counts.running).toBe(3)
        expect(s.counts.paused).toBe(0)
      },
    ],
    [
      'stack.pause',
      async () => {
        const r = await rs.ok('stack.pause', { reason: `route test ${rs.run}` }, rs.tokens.operate)
        expect(r.ok).toBe(true)
        expect(r.totals.ok).toBe(3)
        expect(await dockerStates([...rs.orch, ...rs.scan])).toEqual(['paused', 'paused', 'paused'])
        const back = await rs.ok('stack.resume', {}, rs.tokens.operate)
        expect(back.totals.ok).toBe(3)
        expect(await dockerStates([...rs.orch, ...rs.scan])).toEqual(['running', 'running', 'running'])
      },
    ],
    [
      'stack.resume',
      async () => {
        await rs.ok('stack.pause', { target: { service: 'scan' } }, rs.tokens.operate)
        expect(await dockerStates([...rs.orch, ...rs.scan])).toEqual(['running', 'running', 'paused'])
        const r = await rs.ok(
          'stack.resume',
          { target: { service: 'scan' }, reason: 'route test' },
          rs.tokens.operate,
        )
        expect(r.containers).toEqual([
          expect.objectContaining({ id: rs.scan[0], outcome: 'ok', state: 'running' }),
        ])
        expect(await dockerState(rs.scan[0] as string)).toBe('running')
      },
    ],
    [
      'stack.signal',
      async () => {
        const before = await Promise.all(
          rs.orch.map(async (id) => countLines(await containerLogs(id), /Config reloaded/)),
        )
        const r = await rs.ok(
          'stack.signal',
          { target: { service: 'orch' }, signal: 'SIGUSR1' },
          rs.tokens.operate,
        )
        expect(r.totals.ok).toBe(2)
        expect(r.signal).toBe('SIGUSR1')
        // The signal really reached each process: its trap printed one more reload line.
        await Promise.all(
          rs.orch.map((id, i) => waitForLog(id, /Config reloaded/, 10_000, { after: before[i] })),
        )
      },
    ],
    [
      'stack.configViews',
      async () => {
        const r = await rs.ok('stack.configViews', { readFiles: true }, rs.tokens.read)
        expect(r.singleFileMounts).toBe('refuse')
        expect(r.hostSha256).toBe(sha256(await readFile(rs.ws.configPath, 'utf8')))
        const ids = r.containers.map((c) => c.id).sort()
        expect(ids).toEqual([...rs.orch, ...rs.scan].sort())
        for (const c of r.containers) {
          expect(c.view.kind, c.name).toBe('directory')
          expect(c.view.containerPath).toBe('/config/config.toml')
          expect(c.refusal).toBeNull()
          expect(c.file?.matchesHost, c.fileError ?? '').toBe(true)
        }
      },
    ],
    [
      'stack.restart',
      async () => {
        const t0 = await startedAt(rs.scan[0] as string)
        const r = await rs.ok(
          'stack.restart',
          { target: { service: 'scan' }, reason: 'route test' },
          rs.tokens.operate,
        )
        expect(r.totals.ok).toBe(1)
        expect(await startedAt(rs.scan[0] as string)).not.toBe(t0)
        expect(await dockerState(rs.scan[0] as string)).toBe('running')
      },
    ],
  ]

  happyPaths('stack', happy)
})
