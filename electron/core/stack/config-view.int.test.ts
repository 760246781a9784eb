/**
 * Each container's view of config.toml, on the real engine:
 *  - inspect-based classification for a directory bind, a single-file bind, a named volume and no mount;
 *  - what the archive API shows after a rename-over (Stackdeck's durable write) and after an in-place
 *    write, against what the container itself reads (`sha256sum` inside it: the ground truth);
 *  - the archive API on a paused container, symlinks inside the container, and the error messages.
 */
import { createHash } from 'node:crypto'
import {
  mkdtempSync,
  openSync,
  closeSync,
  fsyncSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  ftruncateSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  execIn,
  hasTestDocker,
  removeFixtures,
  testDocker,
  testDockerHost,
  testImage,
  testLabels,
} from '../../../test-support/docker-fixtures'
import { CoreError } from '../errors'
import { readFileByExec } from './container-exec-file'
import { readContainerFile } from './container-file'
import {
  describeConfigViews,
  type ConfigViewsReport,
  type ContainerConfigView,
} from './describe-config-views'
import { createEndpointClient, type EndpointClient } from './endpoint-url'

const SUITE = { 'stackdeck.suite': 'config-view' }
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex')
const V1 = '# v1\nmax_open_orders = 40\n'
const V2 = '# v2 (renamed over)\nmax_open_orders = 41\n'
const V3 = '# v3 (in place)\nmax_open_orders = 42\n'

/** What the container itself reads at `path`: the ground truth the archive read is judged against. */
async function shaInside(id: string, path = '/config/config.toml'): Promise<string> {
  const r = await execIn(id, ['sha256sum', path])
  expect(r.exitCode, r.output).toBe(0)
  return r.output.trim().split(/\s+/)[0] as string
}

/** Stackdeck's durable write, reduced to what matters here: temp file, fsync, rename over (new inode). */
function renameOver(file: string, text: string): void {
  const tmp = `${file}.tmp-test`
  const fd = openSync(tmp, 'w', 0o644)
  writeSync(fd, text)
  fsyncSync(fd)
  closeSync(fd)
  renameSync(tmp, file)
}

/** The alternative for single-file mounts: truncate and rewrite the same inode (not crash-atomic). */
function writeInPlace(file: string, text: string): void {
  const fd = openSync(file, 'r+')
  ftruncateSync(fd, 0)
  writeSync(fd, text, 0)
  fsyncSync(fd)
  closeSync(fd)
}

describe.skipIf(!hasTestDocker())(
  'container views of config.toml on the real engine (needs scripts/with-test-env.sh)',
  () => {
    let docker: Docker
    let client: EndpointClient
    let dir: string
    let file: string
    let volumeName: string
    const ids = { dir: '', file: '', volume: '', none: '' }
    const names = { dir: '', file: '', volume: '', none: '' }

    const create = async (key: keyof typeof ids, binds: string[]): Promise<void> => {
      const name = `sdt-cfgview-${key}-${Math.random().toString(36).slice(2, 8)}`
      const c = await docker.createContainer({
        Image: testImage(),
        name,
        Labels: { ...testLabels(), ...SUITE },
        Env: [`SERVICE_NAME=cfgview-${key}`],
        StopTimeout: 2,
        HostConfig: { NetworkMode: 'none', Binds: binds },
      })
      await c.start()
      ids[key] = c.id
      names[key] = name
    }

    const report = (readFiles = true): Promise<ConfigViewsReport> =>
      describeConfigViews({
        configPath: file,
        endpoints: [client],
        containers: (Object.keys(ids) as Array<keyof typeof ids>).map((k) => ({
          id: ids[k],
          endpoint: 'test',
          service: k,
        })),
        readFiles,
        readInside: readFiles ? ['file', 'directory'] : [],
      })
    const byService = (r: ConfigViewsReport, key: keyof typeof ids): ContainerConfigView =>
      r.containers.find((c) => c.service === key) as ContainerConfigView

    beforeAll(async () => {
      docker = testDocker()
      client = createEndpointClient({ id: 'test', url: testDockerHost() })
      dir = mkdtempSync(join(tmpdir(), 'sd-cfgview-'))
      file = join(dir, 'config.toml')
      writeFileSync(file, V1, { mode: 0o644 })
      volumeName = `sdt-cfgview-${testLabels()['stackdeck.test']}`
      await docker.createVolume({ Name: volumeName, Labels: { ...testLabels(), ...SUITE } })
      await Promise.all([
        create('dir', [`${dir}:/config:ro`]),
        create('file', [`${file}:/config/config.toml`]),
        create('volume', [`${volumeName}:/config`]),
        create('none', []),
      ])
    })

    afterAll(async () => {
      // Only what this file created: its labelled containers, its one volume and its temp directory.
      if (docker) {
        await removeFixtures(SUITE)
        await docker
          .getVolume(volumeName)
          .remove()
          .catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 404) throw err
          })
      }
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    it('classifies the four containers from their inspect data', async () => {
      const r = await report(false)
      expect(r.realPath).toBe(file)
      expect(r.hostSha256).toBe(sha(V1))

      const d = byService(r, 'dir')
      expect(d.name).toBe(names.dir)
      expect(d.state).toBe('running')
      expect(d.view).toMatchObject({
        kind: 'directory',
        containerPath: '/config/config.toml',
        sameHost: true,
      })
      expect(d.view.mount).toEqual({ type: 'bind', source: dir, destination: '/config', rw: false })
      expect(d.view.sightings[0]?.matchedBy).toBe('realpath')
      expect(d.refusal).toBeNull()

      const f = byService(r, 'file')
      expect(f.view).toMatchObject({ kind: 'file', containerPath: '/config/config.toml' })
      expect(f.view.mount).toEqual({
        type: 'bind',
        source: file,
        destination: '/config/config.toml',
        rw: true,
      })
      expect(f.refusal?.fix).toEqual({
        replace: `- ${file}:/config/config.toml`,
        with: `- ${dir}:/config:ro`,
      })
      expect(f.refusal?.text).toContain(names.file)

      const v = byService(r, 'volume')
      expect(v.view.kind).toBe('volume')
      expect(v.view.volumes.map((m) => [m.name, m.destination])).toEqual([[volumeName, '/config']])
      expect(v.view.containerPath).toBeNull()

      expect(byService(r, 'none').view).toMatchObject({ kind: 'none', sightings: [], volumes: [] })
    })

    it('unknown, with the reason, when the container is gone or the engine does not answer', async () => {
      const gone = await describeConfigViews({
        configPath: file,
        endpoints: [client],
        containers: [{ id: 'f'.repeat(64), endpoint: 'test', name: 'ghost' }],
      })
      expect(gone.containers[0]?.view).toMatchObject({ kind: 'unknown' })
      expect(gone.containers[0]?.view.reason).toMatch(
        /container ghost \(ffffffffffff on test\): the container no longer exists/,
      )

      const dead = createEndpointClient({ id: 'dead', url: `unix://${join(dir, 'no-such.sock')}` })
      const down = await describeConfigViews({
        configPath: file,
        endpoints: [dead],
        containers: [{ id: ids.dir, endpoint: 'dead', name: 'x' }],
        timeoutMs: 2000,
      })
      expect(down.containers[0]?.view.kind).toBe('unknown')
      expect(down.containers[0]?.view.reason).toMatch(/cannot inspect: .*ENOENT/)

      const noEndpoint = await describeConfigViews({
        configPath: file,
        endpoints: [],
        containers: [{ id: ids.dir, endpoint: 'nope' }],
      })
      expect(noEndpoint.containers[0]?.view.reason).toMatch(/no endpoint nope in the settings/)
    })

    it('before any save, both bind mounts show the host bytes, through the archive API and inside', async () => {
      const r = await report()
      for (const key of ['dir', 'file'] as const) {
        const c = byService(r, key)
        expect(c.fileError).toBeNull()
        expect(c.file).toMatchObject({
          path: '/config/config.toml',
          size: V1.length,
          sha256: sha(V1),
          matchesHost: true,
        })
        expect(await shaInside(ids[key])).toBe(sha(V1))
      }
      expect(byService(r, 'dir').file?.provesContainerView).toBe(true)
      expect(byService(r, 'file').file?.provesContainerView).toBe(false)
      expect(byService(r, 'volume').file).toBeNull()
      expect(byService(r, 'none').file).toBeNull()
    })

    it('rename-over (new inode): the directory mount sees it; the file mount keeps the old bytes, which the archive API cannot show', async () => {
      const inodeBefore = statSync(file).ino
      renameOver(file, V2)
      expect(statSync(file).ino).not.toBe(inodeBefore)

      // The containers' own reads: the defect, shown by the ground truth.
      expect(await shaInside(ids.dir)).toBe(sha(V2))
      expect(await shaInside(ids.file)).toBe(sha(V1))

      const r = await report()
      expect(r.hostSha256).toBe(sha(V2))
      const d = byService(r, 'dir')
      expect(d.file).toMatchObject({ sha256: sha(V2), matchesHost: true, provesContainerView: true })

      // The engine builds the archive by mounting each mount's source afresh, so it resolves the host
      // path to the NEW inode while the running container still holds the old one (Docker 20.10 here).
      // This is why a single-file mount is refused from inspect and its archive read never counts as proof.
      // If this expectation breaks, the engine now archives through the container's own mounts: then the
      // archive read does prove single-file mounts, and provesContainerView can become true for them.
      const f = byService(r, 'file')
      expect(f.view.kind).toBe('file')
      expect(f.file).toMatchObject({ sha256: sha(V2), matchesHost: true, provesContainerView: false })

      // Read from inside (exec cat), the container's own view: the old bytes, so the defect is detected.
      expect(f.insideError).toBeNull()
      expect(f.inside).toMatchObject({ path: '/config/config.toml', sha256: sha(V1), matchesHost: false })
      expect(d.inside).toMatchObject({ sha256: sha(V2), matchesHost: true })
      const inside = await readFileByExec(docker, { id: ids.file, name: names.file }, '/config/config.toml')
      expect(inside.bytes.toString()).toBe(V1)
    })

    it('an in-place write (same inode) reaches the single-file mount', async () => {
      const inodeBefore = statSync(file).ino
      // Start from a clean state: recreate the file-mount container so it pins the CURRENT inode.
      await docker.getContainer(ids.file).remove({ force: true })
      await create('file', [`${file}:/config/config.toml`])
      expect(await shaInside(ids.file)).toBe(sha(V2))

      writeInPlace(file, V3)
      expect(statSync(file).ino).toBe(inodeBefore)
      expect(await shaInside(ids.file)).toBe(sha(V3))
      expect(await shaInside(ids.dir)).toBe(sha(V3))
      const read = await readContainerFile(docker, { id: ids.file, name: names.file }, '/config/config.toml')
      expect(read.sha256).toBe(sha(V3))
      const inside = await readFileByExec(docker, { id: ids.file, name: names.file }, '/config/config.toml')
      expect(inside.sha256).toBe(sha(V3))
      expect(read.size).toBe(Buffer.byteLength(V3))
      expect(read.bytes.toString()).toBe(V3)
    })

    it('the archive API answers for a paused container (exec does not)', async () => {
      const c = docker.getContainer(ids.dir)
      await c.pause()
      try {
        expect((await c.inspect()).State.Status).toBe('paused')
        const read = await readContainerFile(
          docker,
          { id: ids.dir, name: names.dir },
          '/config/config.toml',
          { timeoutMs: 5000 },
        )
        expect(read.sha256).toBe(sha(V3))
        const r = await describeConfigViews({
          configPath: file,
          endpoints: [client],
          containers: [{ id: ids.dir, endpoint: 'test' }],
          readFiles: true,
        })
        expect(r.containers[0]).toMatchObject({ state: 'paused', file: { matchesHost: true } })
        // Why the archive API is the right tool while the stack is frozen: exec refuses a paused container.
        await expect(c.exec({ Cmd: ['true'] })).rejects.toMatchObject({ statusCode: 409 })
        const refused = readFileByExec(docker, { id: ids.dir, name: names.dir }, '/config/config.toml')
        await expect(refused).rejects.toMatchObject({ code: 'conflict' })
        await expect(refused).rejects.toThrow(
          new RegExp(`^container ${names.dir} .*: /config/config.toml: cannot exec.*paused`),
        )
      } finally {
        await c.unpause()
      }
    })

    it('follows symlinks inside the container, absolute and relative, and gives up on long chains', async () => {
      // l0 -> l1 -> … -> l9 -> real.toml: ten hops, more than readContainerFile follows (8).
      const chain = Array.from({ length: 9 }, (_, i) => `ln -s /tmp/l${i + 1} /tmp/l${i}`).join(' && ')
      const ln = await execIn(ids.none, [
        'sh',
        '-c',
        `mkdir -p /etc/app && printf "baked = 1\\n" > /etc/app/real.toml && ln -s /etc/app/real.toml /tmp/abs.toml && ln -s ../etc/app/real.toml /tmp/rel.toml && ${chain} && ln -s /etc/app/real.toml /tmp/l9 && ln -s /tmp/loop /tmp/loop`,
      ])
      expect(ln.exitCode, ln.output).toBe(0)
      const ref = { id: ids.none, name: names.none }
      for (const link of ['/tmp/abs.toml', '/tmp/rel.toml']) {
        const read = await readContainerFile(docker, ref, link)
        expect(read).toMatchObject({
          resolvedPath: '/etc/app/real.toml',
          symlinks: [link],
          sha256: sha('baked = 1\n'),
        })
      }
      expect((await readContainerFile(docker, ref, '/tmp/l2')).symlinks).toHaveLength(8)
      await expect(readContainerFile(docker, ref, '/tmp/l0')).rejects.toThrow(
        new RegExp(
          `^container ${names.none} \\(.{12}\\): /tmp/l0: more than 8 symlinks \\(/tmp/l0 -> /tmp/l1 -> `,
        ),
      )
      // A link to itself: this engine refuses it itself (500, "too many links"); either way the message
      // names the container and the path.
      await expect(readContainerFile(docker, ref, '/tmp/loop')).rejects.toThrow(
        new RegExp(`^container ${names.none} \\(.{12}\\): /tmp/loop`),
      )
    })

    it('errors name the container and the path', async () => {
      const ref = { id: ids.dir, name: names.dir, endpoint: 'test' }
      const fail = async (p: Promise<unknown>): Promise<CoreError> => {
        try {
          await p
        } catch (err) {
          expect(err).toBeInstanceOf(CoreError)
          return err as CoreError
        }
        throw new Error('expected a CoreError')
      }
      const who = `container ${names.dir} (${ids.dir.slice(0, 12)} on test)`

      const missing = await fail(readContainerFile(docker, ref, '/config/nope.toml'))
      expect(missing.code).toBe('not_found')
      expect(missing.message).toContain(`${who}: /config/nope.toml: no such file in the container`)

      const directory = await fail(readContainerFile(docker, ref, '/config'))
      expect(directory.code).toBe('io_error')
      expect(directory.message).toBe(`${who}: /config: config is a directory, not a regular file`)

      const big = await fail(readContainerFile(docker, ref, '/config/config.toml', { maxBytes: 10 }))
      expect(big.code).toBe('io_error')
      expect(big.message).toMatch(
        new RegExp(
          `^container ${names.dir} .*: /config/config.toml: config.toml is \\d+ bytes, over the limit of 10 bytes$`,
        ),
      )

      const ghost = await fail(
        readContainerFile(docker, { id: 'f'.repeat(64), name: 'ghost' }, '/config/config.toml'),
      )
      expect(ghost.code).toBe('not_found')
      expect(ghost.message).toMatch(
        /^container ghost \(ffffffffffff\): \/config\/config.toml: the container does not exist/,
      )

      const catMissing = await fail(readFileByExec(docker, ref, '/config/nope.toml'))
      expect(catMissing.code).toBe('io_error')
      expect(catMissing.message).toContain(`${who}: /config/nope.toml: cat failed: `)
      expect(catMissing.message).toMatch(/No such file/)

      // A volume the container mounts but nobody filled: the archive read says so.
      const empty = await fail(
        readContainerFile(docker, { id: ids.volume, name: names.volume }, '/config/config.toml'),
      )
      expect(empty.code).toBe('not_found')
    })
  },
)
