/**
 * The services routes against the REAL built host process, its real settings file, the private
 * Docker engine and Redis: a service created, changed and removed through the HTTP API is applied
 * live (stack.list, supervision) with no restart; every change leaves a valid settings file and a
 * backup of the one before; an outside edit is refused as a conflict and kept; discovery lists a
 * container that is in no service, with its compose labels and mounts.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OperationName, OpResult } from '@core/api/contract'
import { parseSettings } from '@core/settings/load-settings'
import { errorOf, resultErrors, waitFor, type ApiResponse } from '../../../test-support/api-harness'
import { hasTestDocker, startFixtures, waitForLog } from '../../../test-support/docker-fixtures'
import { hasTestRedis } from '../../../test-support/redis-fixture'
import { happyPaths } from '../../../test-support/route-stack'
import { startStackdeckUnderTest, type BuiltStackdeck } from '../../../test-support/stackdeck-under-test'

const enabled = hasTestDocker() && hasTestRedis()

describe.skipIf(!enabled)('control API routes: services managed live, and discovery', () => {
  let sut: BuiltStackdeck
  let settingsPath: string
  let composeId: string
  const project = `proj-${Math.random().toString(36).slice(2, 8)}`

  beforeAll(async () => {
    sut = await startStackdeckUnderTest({
      fixtures: { web: { count: 1 }, db: { count: 1 } },
      // Start with one hand-written service: the API edits the file around it.
      services: (labels) => [{ name: 'handwritten', selector: labels('db'), reload: { signal: null, logPattern: null } }],
      schedule: { enabled: false },
    })
    settingsPath = sut.host.settingsPath
    // A container in no service, labelled as docker compose labels its containers.
    const ws = sut.ws
    if (!ws) throw new Error('no workspace')
    ;[composeId] = (await startFixtures({
      service: 'compose',
      labels: { ...sut.labels('compose'), 'com.docker.compose.project': project, 'com.docker.compose.service': 'api' },
      configDir: ws.configDir,
    })) as [string]
    await waitForLog(composeId, /started pid=/)
  }, 180_000)

  afterAll(async () => {
    await sut?.stop()
  })

  const admin = () => sut.tokens.admin
  const call = (method: string, path: string, body?: unknown, token = admin()): Promise<ApiResponse> =>
    sut.client.request(method, path, { ...(body === undefined ? {} : { body: body as object }), token })
  const ok = async <N extends OperationName>(op: N, r: ApiResponse, status: number): Promise<OpResult<N>> => {
    expect(r.status, `${op}: ${r.text.slice(0, 800)}`).toBe(status)
    if (status !== 204) expect(resultErrors(op, r.json), `${op} result violates the contract`).toEqual([])
    return r.json as OpResult<N>
  }
  const stackService = async (name: string) => {
    const list = (await call('GET', '/stack', undefined, sut.tokens.read)).json as OpResult<'stack.list'>
    return list.services.find((s) => s.name === name)
  }
  const supervised = async (name: string) => {
    const st = (await call('GET', '/supervise', undefined, sut.tokens.read)).json as OpResult<'supervise.status'>
    return st.services.find((s) => s.service === name)
  }
  const backups = async () => (await readdir(dirname(settingsPath))).filter((n) => n.startsWith(`${basename(settingsPath)}.bak.`)).sort()

  /** After every change: the file on disk is valid settings, and the newest backup holds the file as it was before. */
  async function expectWrittenOver(before: string, backupsBefore: string[]): Promise<void> {
    const text = await readFile(settingsPath, 'utf8')
    expect(() => parseSettings(JSON.parse(text), settingsPath)).not.toThrow()
    const now = await backups()
    expect(now.length).toBe(backupsBefore.length + 1)
    expect(now.filter((b) => !backupsBefore.includes(b))).toHaveLength(1)
    const added = now.find((b) => !backupsBefore.includes(b)) as string
    expect(await readFile(join(dirname(settingsPath), added), 'utf8')).toBe(before)
  }

  async function change(fn: () => Promise<void>): Promise<void> {
    const before = await readFile(settingsPath, 'utf8')
    const was = await backups()
    await fn()
    await expectWrittenOver(before, was)
  }

  const happy: Array<[OperationName, () => Promise<void>]> = [
    [
      'services.list',
      async () => {
        const r = await ok('services.list', await call('GET', '/services', undefined, sut.tokens.read), 200)
        expect(r.source).toBe(settingsPath)
        expect(r.services.map((s) => s.name)).toEqual(['handwritten'])
      },
    ],
    [
      'engine.discover',
      async () => {
        const r = await ok('engine.discover', await call('GET', '/engine/containers', undefined, sut.tokens.read), 200)
        const c = r.containers.find((x) => x.id === composeId)
        expect(c).toMatchObject({
          endpoint: 'test',
          state: 'running',
          compose: { project, service: 'api' },
          services: [],
        })
        expect(c?.labels['com.docker.compose.project']).toBe(project)
        expect(c?.image).toBeTruthy()
        expect(c?.mounts).toContainEqual({ type: 'bind', source: sut.ws?.configDir, destination: '/config' })
        // The hand-written service's container is there too, named as matching it.
        expect(r.containers.find((x) => x.id === sut.fixtures['db']?.[0])?.services).toEqual(['handwritten'])
      },
    ],
    [
      'services.create',
      async () => {
        await change(async () => {
          const r = await ok(
            'services.create',
            await call('POST', '/services', {
              name: 'web',
              selector: sut.labels('web'),
              reload: { signal: 'SIGHUP', logPattern: 'Config reloaded' },
              supervise: { desired: 1, autoHeal: false, intervalMs: 300 },
              reason: 'services route test',
            }),
            201,
          )
          expect(r).toMatchObject({ created: true, service: { name: 'web' } })
          expect(r.backup).toMatch(/^settings\.json\.bak\.\d{8}_\d{6}/)
        })
        // Live: the stack shows its container and the supervisor checks it, with no restart.
        const webId = sut.fixtures['web']?.[0]
        await waitFor('web in stack.list', async () => (await stackService('web'))?.containers.some((c) => c.id === webId))
        const s = await waitFor('web supervised', async () => {
          const v = await supervised('web')
          return v && v.lastCheckAt !== null && v.containers.some((c) => c.id === webId) ? v : undefined
        })
        expect(s).toMatchObject({ desired: 1, actual: 1 })
        // A second create of the same name is a conflict and writes nothing.
        const was = await backups()
        const again = await call('POST', '/services', { name: 'web', selector: { x: 'y' } })
        expect(again.status).toBe(409)
        expect(await backups()).toEqual(was)
      },
    ],
    [
      'services.update',
      async () => {
        // Its selector now names the db fixture: the stack view and supervision follow.
        const dbId = sut.fixtures['db']?.[0]
        await change(async () => {
          const r = await call('PUT', '/services/web', {
            selector: sut.labels('db'),
            reload: { signal: null, logPattern: null },
            supervise: { desired: 1, autoHeal: false, intervalMs: 300 },
          })
          expect(r.status, r.text).toBe(204)
          expect(r.text).toBe('')
        })
        await waitFor('web to show the db container', async () => {
          const v = await stackService('web')
          return v && v.containers.length === 1 && v.containers[0]?.id === dbId
        })
        await waitFor('supervision to follow', async () => {
          const v = await supervised('web')
          return v && v.containers.length === 1 && v.containers[0]?.id === dbId
        })
        // PUT of a new name creates it: 201 with the result.
        await change(async () => {
          const r = await ok('services.update', await call('PUT', '/services/extra', { selector: sut.labels('compose') }), 201)
          expect(r).toMatchObject({ created: true, service: { name: 'extra', selector: sut.labels('compose') } })
        })
        await waitFor('extra in stack.list', async () => (await stackService('extra'))?.containers.some((c) => c.id === composeId))
        // A body that names another service than the path is refused by name.
        const clash = await call('PUT', '/services/extra', { name: 'other', selector: { a: 'b' } })
        expect(clash.status).toBe(400)
        expect(errorOf(clash)?.path).toBe('/name')
      },
    ],
    [
      'services.delete',
      async () => {
        await change(async () => {
          const r = await call('DELETE', '/services/web')
          expect(r.status, r.text).toBe(204)
        })
        await waitFor('supervision of web to stop', async () => (await supervised('web')) === undefined)
        await waitFor('web to leave the stack', async () => (await stackService('web')) === undefined)
        const names = ((await call('GET', '/services', undefined, sut.tokens.read)).json as OpResult<'services.list'>).services.map((s) => s.name)
        expect(names).toEqual(['handwritten', 'extra'])
        expect((await call('DELETE', '/services/web')).status).toBe(404)
        // Each change is audited by the handler wrapper, naming the service, the token and the door.
        const audit = (await call('GET', '/audit?action=services&limit=50', undefined, sut.tokens.read)).json as OpResult<'audit.query'>
        const ok = audit.records.filter((r) => r.outcome === 'ok').map((r) => [r.action, r.target, r.door])
        expect(ok).toEqual(
          expect.arrayContaining([
            ['services.create', 'service:web', 'http'],
            ['services.update', 'service:web', 'http'],
            ['services.update', 'service:extra', 'http'],
            ['services.delete', 'service:web', 'http'],
          ]),
        )
        expect(audit.records.find((r) => r.action === 'services.create' && r.outcome === 'ok')?.reason).toBe('services route test')
      },
    ],
  ]

  happyPaths('services', happy)

  describe('refusals', () => {
    it('an invalid service is a 400 naming the field, and nothing is written', async () => {
      const was = await backups()
      const before = await readFile(settingsPath, 'utf8')
      const empty = await call('POST', '/services', { name: 'bad', selector: {} })
      expect(empty.status).toBe(400)
      expect(errorOf(empty)).toMatchObject({ code: 'invalid_input', path: '/selector' })
      // Checked against the running parts too: an endpoint that does not exist, a pattern that is no regexp.
      const endpoint = await call('POST', '/services', { name: 'bad', selector: { a: 'b' }, endpoint: 'nosuch' })
      expect(endpoint.status, endpoint.text).toBe(400)
      expect(errorOf(endpoint)).toMatchObject({ code: 'invalid_input', path: '/endpoint' })
      const pattern = await call('PUT', '/services/bad', { selector: { a: 'b' }, reload: { logPattern: '(' } })
      expect(pattern.status, pattern.text).toBe(400)
      expect(errorOf(pattern)).toMatchObject({ code: 'invalid_input', path: '/reload/logPattern' })
      expect(await backups()).toEqual(was)
      expect(await readFile(settingsPath, 'utf8')).toBe(before)
    })

    it('needs the admin scope', async () => {
      const r = await call('POST', '/services', { name: 'x', selector: { a: 'b' } }, sut.tokens.operate)
      expect(r.status).toBe(403)
    })

    it('an outside edit of the settings file is a conflict, and the edit is kept', async () => {
      const outside = `${JSON.stringify(JSON.parse(await readFile(settingsPath, 'utf8')), null, 4)}\n`
      await writeFile(settingsPath, outside)
      const was = await backups()
      const r = await call('POST', '/services', { name: 'late', selector: { a: 'b' } })
      expect(r.status, r.text).toBe(409)
      expect(errorOf(r)).toMatchObject({ code: 'conflict' })
      expect(String(errorOf(r)?.message)).toContain('changed on disk')
      expect(await readFile(settingsPath, 'utf8')).toBe(outside)
      expect(await backups()).toEqual(was)
    })
  })
})
