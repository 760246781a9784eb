import { describe, expect, it } from 'vitest'
import {
  composeFixLine,
  configBadge,
  describeMount,
  fileCheck,
  indexViews,
  refusedContainers,
  summarizeViews,
  viewsKey,
  type ConfigViewsReport,
  type ContainerConfigView,
} from './config-view-badge'

const SHA_HOST = 'a'.repeat(64)
const SHA_OLD = 'b'.repeat(64)
const bind = (source: string, destination: string, rw = false) => ({ type: 'bind' as const, source, destination, rw })

function view(kind: ContainerConfigView['view']['kind'], p: Partial<ContainerConfigView> = {}, v: Partial<ContainerConfigView['view']> = {}): ContainerConfigView {
  return {
    id: `id-${kind}`,
    name: `c-${kind}`,
    endpoint: 'local',
    service: 'svc',
    state: 'running',
    view: {
      kind,
      containerPath: kind === 'directory' || kind === 'file' ? '/config/config.toml' : null,
      mount: kind === 'directory' ? bind('/srv/cfg', '/config') : kind === 'file' ? bind('/srv/cfg/config.toml', '/config/config.toml', true) : null,
      sightings: [],
      volumes: [],
      sameHost: true,
      reason: kind === 'unknown' ? 'endpoint local unreachable' : null,
      notes: [],
      ...v,
    },
    refusal:
      kind === 'file'
        ? {
            summary: 'bind-mounts the single file',
            why: 'inode',
            fix: { replace: '- /srv/cfg/config.toml:/config/config.toml', with: '- /srv/cfg:/config:ro' },
            containerPathAfter: '/config/config.toml',
            caveats: ['recreate the container'],
            text: 'all of it',
          }
        : null,
    file: null,
    fileError: null,
    inside: null,
    insideError: null,
    ...p,
  }
}

const report = (containers: ContainerConfigView[], singleFileMounts: 'refuse' | 'write-in-place' = 'refuse'): ConfigViewsReport => ({
  at: '2026-01-01T00:00:00Z',
  configPath: '/srv/cfg/config.toml',
  realPath: '/srv/cfg/config.toml',
  hostSha256: SHA_HOST,
  singleFileMounts,
  containers,
})

describe('config view badge', () => {
  it('maps each kind to its label and tone; unknown is never shown as fine', () => {
    const got = (['directory', 'file', 'volume', 'none', 'unknown'] as const).map((k) => {
      const b = configBadge(view(k))
      return [b.kind, b.label, b.tone]
    })
    expect(got).toEqual([
      ['directory', '✓ directory', 'ok'],
      ['file', '⚠ single file', 'warn'],
      ['volume', '? volume', 'unknown'],
      ['none', 'not mounted', 'muted'],
      ['unknown', '? unknown', 'unknown'],
    ])
    expect(configBadge(view('unknown')).title).toContain('endpoint local unreachable')
    expect(configBadge(view('file')).title).toContain('replace "- /srv/cfg/config.toml:/config/config.toml" with "- /srv/cfg:/config:ro"')
  })

  it('a container missing from the report is unknown, with the reason', () => {
    const b = configBadge(undefined, 'the report failed: timeout')
    expect(b).toMatchObject({ kind: 'unknown', tone: 'unknown' })
    expect(b.title).toContain('the report failed: timeout')
  })

  it('indexes by endpoint and id, summarises, and lists what would be refused', () => {
    const r = report([view('directory'), view('directory', { id: 'x2' }), view('file'), view('none'), view('unknown')])
    expect(indexViews(r).get('local/id-file')?.name).toBe('c-file')
    expect(indexViews(null).size).toBe(0)
    expect(summarizeViews(r)).toBe('2 directory, 1 single-file, 1 not mounted, 1 unknown')
    expect(summarizeViews(report([]))).toBe('no containers')
    expect(refusedContainers(r).map((c) => c.name)).toEqual(['c-file'])
    expect(refusedContainers(report(r.containers, 'write-in-place'))).toEqual([])
    expect(composeFixLine(view('file'))).toBe('- /srv/cfg:/config:ro')
    expect(composeFixLine(view('directory'))).toBeNull()
  })

  it('describes mounts', () => {
    expect(describeMount(bind('/srv/cfg', '/config'))).toBe('bind /srv/cfg → /config (ro)')
    expect(describeMount({ type: 'volume', source: '/var/lib/docker/volumes/d/_data', destination: '/data', rw: true, name: 'd' })).toBe('volume d → /data (rw)')
    expect(describeMount(null)).toBeNull()
  })
})

describe('file check (readFiles)', () => {
  const archive = (matchesHost: boolean | null, sha = SHA_HOST) => ({ path: '/config/config.toml', resolvedPath: '/config/config.toml', size: 10, sha256: sha, matchesHost, provesContainerView: true })

  it('directory mounts: the archive read proves or disproves the bytes', () => {
    expect(fileCheck(view('directory', { file: archive(true) })).verdict).toBe('match')
    expect(fileCheck(view('directory', { file: archive(false, SHA_OLD) }))).toMatchObject({ verdict: 'differs', text: expect.stringContaining('bbbbbbbbbbbb') as unknown })
    expect(fileCheck(view('directory', { file: archive(null) })).verdict).toBe('unproved')
    expect(fileCheck(view('directory', { fileError: 'no such file in c-directory' })).text).toContain('no such file')
  })

  it('single-file mounts: only the inside read proves it, and the text says the archive read cannot', () => {
    const arch = { ...archive(true), provesContainerView: false }
    const stale = fileCheck(view('file', { file: arch, inside: { path: '/config/config.toml', size: 9, sha256: SHA_OLD, matchesHost: false } }))
    expect(stale.verdict).toBe('differs')
    expect(stale.text).toMatch(/cannot prove/)
    expect(fileCheck(view('file', { file: arch, inside: { path: '/config/config.toml', size: 10, sha256: SHA_HOST, matchesHost: true } })).verdict).toBe('match')
    const failed = fileCheck(view('file', { file: arch, insideError: 'exec refused: container is paused' }))
    expect(failed.verdict).toBe('unproved')
    expect(failed.text).toContain('container is paused')
  })

  it('nothing to read for none and volume; unknown stays unproved', () => {
    expect(fileCheck(view('none')).verdict).toBe('not-checked')
    expect(fileCheck(view('volume')).verdict).toBe('not-checked')
    expect(fileCheck(view('unknown')).verdict).toBe('unproved')
  })
})

describe('views key (when to fetch the views again)', () => {
  type Snap = Parameters<typeof viewsKey>[0]
  const snap = (ids: string[], state = 'running', reachable = true): Snap =>
    ({
      at: '2026-01-01T00:00:00Z',
      services: [{ name: 'svc', endpoint: null, containers: ids.map((id) => ({ id, endpoint: 'local', state })) }],
      endpoints: [{ id: 'local', reachable }],
    }) as unknown as Snap

  it('changes with the set of containers or an engine coming and going, not with pauses', () => {
    expect(viewsKey(snap(['a', 'b']))).toBe(viewsKey(snap(['b', 'a'], 'paused')))
    expect(viewsKey(snap(['a', 'b']))).not.toBe(viewsKey(snap(['a', 'c'])))
    expect(viewsKey(snap(['a']))).not.toBe(viewsKey(snap(['a'], 'running', false)))
  })
})
