import { describe, expect, it } from 'vitest'
import {
  classifyConfigView,
  isUnder,
  normalizeAbs,
  unknownView,
  type ClassifyInput,
  type InspectMount,
} from './config-view'

const CFG = '/srv/trading/config/config.toml'
const bind = (Source: string, Destination: string, RW = false): InspectMount => ({
  Type: 'bind',
  Source,
  Destination,
  RW,
})
const volume = (Name: string, Destination: string): InspectMount => ({
  Type: 'volume',
  Name,
  Source: `/var/lib/docker/volumes/${Name}/_data`,
  Destination,
  Driver: 'local',
  RW: true,
})
const tmpfs = (Destination: string): InspectMount => ({ Type: 'tmpfs', Source: '', Destination, RW: true })

/** A local engine where every path is its own realpath unless `realSources` says otherwise. */
const local = (mounts: InspectMount[], extra: Partial<ClassifyInput> = {}): ClassifyInput => ({
  configPath: CFG,
  configRealPath: CFG,
  mounts,
  local: true,
  realSources: Object.fromEntries(
    mounts
      .filter((m) => m.Type === 'bind')
      .map((m): [string, string | null] => [m.Source ?? '', normalizeAbs(m.Source)]),
  ),
  endpoint: 'local',
  ...extra,
})

describe('path helpers', () => {
  it('normalizeAbs drops trailing slashes and dot segments, keeps the root, rejects relative paths', () => {
    expect(normalizeAbs('/srv/trading/config/')).toBe('/srv/trading/config')
    expect(normalizeAbs('/srv//trading/./config///')).toBe('/srv/trading/config')
    expect(normalizeAbs('/srv/x/../trading')).toBe('/srv/trading')
    expect(normalizeAbs('/')).toBe('/')
    expect(normalizeAbs('//')).toBe('/')
    expect(normalizeAbs('srv/trading')).toBeNull()
    expect(normalizeAbs('')).toBeNull()
    expect(normalizeAbs(undefined)).toBeNull()
  })

  it('isUnder compares whole path components', () => {
    expect(isUnder('/a/b/c', '/a/b')).toBe(true)
    expect(isUnder('/a/b', '/a/b')).toBe(true)
    expect(isUnder('/a/bc', '/a/b')).toBe(false)
    expect(isUnder('/a', '/')).toBe(true)
    expect(isUnder('/a', '/a/b')).toBe(false)
  })
})

describe('classifyConfigView', () => {
  it('directory: a bind of the config directory gives the in-container path', () => {
    const v = classifyConfigView(local([bind('/srv/trading/config', '/config')]))
    expect(v.kind).toBe('directory')
    expect(v.containerPath).toBe('/config/config.toml')
    expect(v.mount).toEqual({
      type: 'bind',
      source: '/srv/trading/config',
      destination: '/config',
      rw: false,
    })
    expect(v.sightings).toHaveLength(1)
    expect(v.sightings[0]?.matchedBy).toBe('realpath')
    expect(v.sameHost).toBe(true)
    expect(v.reason).toBeNull()
    expect(v.notes).toEqual([])
  })

  it('directory: trailing slashes on source and destination do not matter', () => {
    const v = classifyConfigView(local([bind('/srv/trading/config/', '/config/')]))
    expect(v.kind).toBe('directory')
    expect(v.containerPath).toBe('/config/config.toml')
  })

  it('directory: a bind of an ancestor, or of /, shows the file at the matching depth', () => {
    expect(classifyConfigView(local([bind('/srv/trading', '/opt/stack')])).containerPath).toBe(
      '/opt/stack/config/config.toml',
    )
    const root = classifyConfigView(local([bind('/', '/host', true)]))
    expect(root.kind).toBe('directory')
    expect(root.containerPath).toBe('/host/srv/trading/config/config.toml')
    expect(root.mount?.rw).toBe(true)
  })

  it('file: a bind of config.toml itself', () => {
    const v = classifyConfigView(local([bind(CFG, '/config/config.toml', true)]))
    expect(v.kind).toBe('file')
    expect(v.containerPath).toBe('/config/config.toml')
    expect(v.mount).toEqual({ type: 'bind', source: CFG, destination: '/config/config.toml', rw: true })
  })

  it('file wins over directory when the container sees the config both ways, and both are listed', () => {
    const v = classifyConfigView(
      local([bind('/srv/trading/config', '/config'), bind(CFG, '/etc/app/config.toml')]),
    )
    expect(v.kind).toBe('file')
    expect(v.containerPath).toBe('/etc/app/config.toml')
    expect(v.sightings.map((s) => [s.kind, s.containerPath])).toEqual([
      ['file', '/etc/app/config.toml'],
      ['directory', '/config/config.toml'],
    ])
  })

  it('a sibling whose name only starts like the config directory is not an ancestor', () => {
    const v = classifyConfigView(
      local([bind('/srv/trading/conf', '/conf'), bind('/srv/trading/config2', '/c2')]),
    )
    expect(v.kind).toBe('none')
    expect(v.sightings).toEqual([])
  })

  it('another file in the same directory is not the config', () => {
    expect(
      classifyConfigView(local([bind('/srv/trading/config/other.toml', '/config/config.toml')])).kind,
    ).toBe('none')
  })

  describe('nested mounts: the deepest destination wins', () => {
    it('a tmpfs over the config directory hides an ancestor bind', () => {
      const v = classifyConfigView(local([bind('/srv/trading', '/app'), tmpfs('/app/config')]))
      expect(v.kind).toBe('none')
      expect(v.notes.join('\n')).toMatch(/tmpfs mount at \/app\/config hides \/app\/config\/config\.toml/)
    })

    it('order in Mounts does not matter', () => {
      const v = classifyConfigView(local([tmpfs('/app/config'), bind('/srv/trading', '/app')]))
      expect(v.kind).toBe('none')
    })

    it('a volume over the directory hides it, and the volume is reported', () => {
      const v = classifyConfigView(local([bind('/srv/trading', '/app'), volume('cfg', '/app/config')]))
      expect(v.kind).toBe('volume')
      expect(v.volumes).toEqual([
        {
          type: 'volume',
          source: '/var/lib/docker/volumes/cfg/_data',
          destination: '/app/config',
          rw: true,
          name: 'cfg',
        },
      ])
    })

    it('an unrelated single-file bind over config.toml hides the directory view', () => {
      const v = classifyConfigView(
        local([
          bind('/srv/trading/config', '/config'),
          bind('/srv/other/config.toml', '/config/config.toml'),
        ]),
      )
      expect(v.kind).toBe('none')
      expect(v.notes.join('\n')).toMatch(/bind mount at \/config\/config\.toml hides/)
    })

    it('a single-file bind of the config over its own directory mount makes it a file view', () => {
      const v = classifyConfigView(
        local([bind('/srv/trading/config', '/config'), bind(CFG, '/config/config.toml')]),
      )
      expect(v.kind).toBe('file')
      expect(v.sightings).toHaveLength(1)
      expect(v.notes).toEqual([])
    })

    it('a deeper bind of the same directory shows it: one sighting, through the deeper mount', () => {
      const v = classifyConfigView(
        local([bind('/srv/trading', '/app'), bind('/srv/trading/config', '/app/config')]),
      )
      expect(v.kind).toBe('directory')
      expect(v.sightings).toHaveLength(1)
      expect(v.mount?.destination).toBe('/app/config')
    })

    it('a mount elsewhere under the same ancestor does not hide it', () => {
      const v = classifyConfigView(
        local([bind('/srv/trading', '/app'), tmpfs('/app/cache'), tmpfs('/app/config-old')]),
      )
      expect(v.kind).toBe('directory')
      expect(v.containerPath).toBe('/app/config/config.toml')
    })
  })

  describe('volumes and nothing', () => {
    it('volume: only named volumes, so Stackdeck cannot know', () => {
      const v = classifyConfigView(local([volume('stack-config', '/config')]))
      expect(v.kind).toBe('volume')
      expect(v.containerPath).toBeNull()
      expect(v.mount).toBeNull()
      expect(v.volumes[0]?.name).toBe('stack-config')
    })

    it('a directory view is still reported with the volumes alongside', () => {
      const v = classifyConfigView(local([volume('data', '/data'), bind('/srv/trading/config', '/config')]))
      expect(v.kind).toBe('directory')
      expect(v.volumes).toHaveLength(1)
    })

    it('none: no mounts, or only unrelated ones', () => {
      expect(classifyConfigView(local([])).kind).toBe('none')
      expect(classifyConfigView(local([bind('/var/log', '/logs'), tmpfs('/tmp')])).kind).toBe('none')
    })

    it('entries without a usable source or destination are ignored', () => {
      const v = classifyConfigView(
        local([
          { Type: 'bind', Source: 'relative/dir', Destination: '/config' },
          { Type: 'bind', Source: CFG },
        ]),
      )
      expect(v.kind).toBe('none')
    })
  })

  describe('symlinks (local engine: real paths decide)', () => {
    it('a bind of a symlinked directory that resolves to the config directory', () => {
      const v = classifyConfigView(
        local([bind('/etc/stack', '/config')], {
          configPath: '/data/cfg/config.toml',
          configRealPath: '/data/cfg/config.toml',
          realSources: { '/etc/stack': '/data/cfg' },
        }),
      )
      expect(v.kind).toBe('directory')
      expect(v.containerPath).toBe('/config/config.toml')
      expect(v.sightings[0]?.matchedBy).toBe('realpath')
    })

    it('config.path spelled through a symlinked directory, mount of the real directory', () => {
      const v = classifyConfigView(
        local([bind('/data/cfg/', '/config')], {
          configPath: '/etc/stack/config.toml',
          configRealPath: '/data/cfg/config.toml',
        }),
      )
      expect(v.kind).toBe('directory')
      expect(v.containerPath).toBe('/config/config.toml')
    })

    it('a single-file bind through a symlink to the real file is still a file view', () => {
      const v = classifyConfigView(
        local([bind('/srv/link.toml', '/config/config.toml')], { realSources: { '/srv/link.toml': CFG } }),
      )
      expect(v.kind).toBe('file')
      expect(v.mount?.source).toBe('/srv/link.toml')
    })

    it('config.toml itself a symlink: a directory bind shows the link, and says so', () => {
      const v = classifyConfigView(
        local([bind('/srv/cfg', '/config')], {
          configPath: '/srv/cfg/config.toml',
          configRealPath: '/data/real.toml',
          realSources: { '/srv/cfg': '/srv/cfg' },
        }),
      )
      expect(v.kind).toBe('directory')
      expect(v.sightings[0]?.matchedBy).toBe('path')
      expect(v.notes.join('\n')).toMatch(/symlink to \/data\/real\.toml.*inside its own filesystem/)
    })

    it('a source that does not resolve on this machine falls back to the spelled path', () => {
      const v = classifyConfigView(local([bind('/srv/trading/config', '/config')], { realSources: {} }))
      expect(v.kind).toBe('directory')
      expect(v.sightings[0]?.matchedBy).toBe('path')
    })
  })

  describe('remote engine: sources are paths on the engine host', () => {
    const remote = (mounts: InspectMount[]): ClassifyInput => ({
      configPath: CFG,
      configRealPath: CFG,
      mounts,
      local: false,
      // Must be ignored: resolving an engine-host path on this machine means nothing.
      realSources: { '/elsewhere': CFG },
      endpoint: 'prod',
    })

    it('a match by path is reported but flagged as not the same file for sure', () => {
      const v = classifyConfigView(remote([bind('/srv/trading/config', '/config')]))
      expect(v.kind).toBe('directory')
      expect(v.sameHost).toBe(false)
      expect(v.sightings[0]?.matchedBy).toBe('path')
      expect(v.notes.join('\n')).toMatch(
        /endpoint prod is not local.*does not prove it is the file Stackdeck writes/,
      )
    })

    it('realSources are not used for a remote engine', () => {
      expect(classifyConfigView(remote([bind('/elsewhere', '/config/config.toml')])).kind).toBe('none')
    })

    it('no match: says the container can only see it through a shared filesystem', () => {
      const v = classifyConfigView(remote([]))
      expect(v.kind).toBe('none')
      expect(v.notes.join('\n')).toMatch(/shared at the same path/)
    })
  })

  it('unknownView carries the reason and nothing else', () => {
    const v = unknownView('container api-1 (abc): cannot inspect: connect ENOENT')
    expect(v).toMatchObject({ kind: 'unknown', containerPath: null, mount: null, sightings: [], volumes: [] })
    expect(v.reason).toMatch(/ENOENT/)
  })
})
