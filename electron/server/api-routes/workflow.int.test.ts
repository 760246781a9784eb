/**
 * The Save & Restart routes (status, recovery of an interrupted run, save-and-restart, history)
 * against the REAL built host process, the private Docker engine (fixture containers) and the private
 * Redis (test-support/route-stack.ts): each result checked against the contract with ajv, each side
 * effect checked at the source (docker inspect, the file on disk, Redis, container logs). The host
 * starts on the journal of a run that crashed with one container frozen.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import type { OperationName } from '@core/api/contract'
import { containerLogs, hasTestDocker, testDocker, waitForLog } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { dockerState, dockerStates, sha256, TOKEN_NAMES } from '../../../test-support/api-harness'
import { countLines, happyPaths, md5, useRouteStack } from '../../../test-support/route-stack'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: Save & Restart', () => {
  const rs = useRouteStack({
    // An interrupted Save & Restart, as a crash would leave it: a journal naming a container this
    // "run" froze, and that container still paused. workflow.recover must find and resume it.
    beforeHost: async ({ ws, fixtures, run }) => {
      const frozen = fixtures['orch']?.[1] as string
      await testDocker().getContainer(frozen).pause()
      const name = (await testDocker().getContainer(frozen).inspect()).Name.replace(/^\//, '')
      const ref = { id: frozen, name, service: 'orch', endpoint: 'test' }
      const text = await readFile(ws.configPath, 'utf8')
      await writeFile(
        join(ws.stateDir, 'save-restart.journal.json'),
        JSON.stringify({
          version: 1,
          runId: `interrupted-${run}`,
          who: 'crashed-run',
          door: 'http',
          startedAt: new Date().toISOString(),
          phase: 'paused',
          configPath: ws.configPath,
          baseHash: sha256(text),
          newHash: sha256(`${text}\n# new`),
          backup: null,
          targets: [ref],
          paused: [ref],
        }),
      )
    },
  })

  // One case per route, in an order where each leaves the stack as it found it.
  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'workflow.status',
      async () => {
        const s = await rs.ok('workflow.status', {}, rs.tokens.read)
        expect(s.running).toBeNull()
        expect(s.recovery?.runId).toBe(`interrupted-${rs.run}`)
        expect(s.recovery?.stillPaused.map((c) => c.id)).toEqual([rs.orch[1]])
      },
    ],
    [
      'workflow.recover',
      async () => {
        expect(await dockerState(rs.orch[1] as string)).toBe('paused')
        const r = await rs.ok('workflow.recover', { action: 'resume' }, rs.tokens.operate)
        expect(r.dismissed).toBe(false)
        expect(r.resumed).toEqual([expect.objectContaining({ id: rs.orch[1], outcome: 'ok' })])
        expect(await dockerState(rs.orch[1] as string)).toBe('running')
        expect((await rs.ok('workflow.status', {}, rs.tokens.read)).recovery).toBeNull()
      },
    ],
    [
      'workflow.saveAndRestart',
      async () => {
        const before = await readFile(rs.ws.configPath, 'utf8')
        const text = before.replace('log_level = "info"', 'log_level = "debug"')
        expect(text).not.toBe(before)
        const reloadsBefore = await Promise.all(
          [...rs.orch, ...rs.scan].map(async (id) => countLines(await containerLogs(id), /Config reloaded/)),
        )
        const r = await rs.ok(
          'workflow.saveAndRestart',
          { text, baseHash: sha256(before), reason: `route test ${rs.run}` },
          rs.tokens.operate,
        )
        expect(r.outcome, r.message).toBe('applied')
        expect(r.who).toBe(TOKEN_NAMES.operate)
        expect(r.door).toBe('http')
        // log_level is x-apply hot, and workflow.applyMode defaults to auto: applied without pausing.
        expect(r.mode).toBe('hot')
        expect(r.freezeWindowMs).toBe(0)
        expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
          'validate:ok',
          'pause:skipped',
          'write:ok',
          'unpause:skipped',
          'reload:ok',
          'verify:ok',
        ])
        expect(r.containers?.every((c) => c.file?.matches === true && c.file.via === 'archive')).toBe(true)
        expect(r.reload.proved.sort()).toEqual(['orch', 'scan'])
        expect(await readFile(rs.ws.configPath, 'utf8')).toBe(text)
        expect(await readFile(join(rs.ws.configDir, r.backup as string), 'utf8')).toBe(before)
        // Every container re-read the NEW file through its bind mount: its reload line carries the new digest.
        await Promise.all(
          [...rs.orch, ...rs.scan].map((id, i) =>
            waitForLog(id, new RegExp(`Config reloaded sha=${md5(text)}`), 10_000, { after: 0 }).then(
              async () => {
                expect(countLines(await containerLogs(id), /Config reloaded/)).toBeGreaterThan(
                  reloadsBefore[i] as number,
                )
              },
            ),
          ),
        )
        expect(await dockerStates([...rs.orch, ...rs.scan])).toEqual(['running', 'running', 'running'])
      },
    ],
    [
      'workflow.history',
      async () => {
        const h = await rs.ok('workflow.history', { limit: 5 }, rs.tokens.read)
        expect(h.runs[0]).toMatchObject({
          outcome: 'applied',
          who: TOKEN_NAMES.operate,
          reason: `route test ${rs.run}`,
        })
      },
    ],
  ]

  happyPaths('workflow', happy)
})
