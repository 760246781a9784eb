import { describe, expect, it } from 'vitest'
import { fileMountRefusal } from './config-refusal'
import type { ConfigMount } from './config-view'

const C = { id: '0123456789abcdef0123', name: 'orchestrator-1', endpoint: 'local' }
const fileMount = (source: string, destination: string, rw = true): ConfigMount => ({
  type: 'bind',
  source,
  destination,
  rw,
})

describe('fileMountRefusal', () => {
  it('names the container, explains the inode, and gives the directory mount from the actual mount', () => {
    const r = fileMountRefusal(C, fileMount('/srv/trading/config/config.toml', '/config/config.toml'))
    expect(r.fix).toEqual({
      replace: '- /srv/trading/config/config.toml:/config/config.toml',
      with: '- /srv/trading/config:/config:ro',
    })
    expect(r.containerPathAfter).toBe('/config/config.toml')
    expect(r.summary).toContain('orchestrator-1 (0123456789ab on local)')
    expect(r.summary).toContain('/srv/trading/config/config.toml')
    expect(r.why).toMatch(/renames it over the old one/)
    expect(r.why).toMatch(/new inode/)
    expect(r.why).toMatch(/pinned to the inode/)
    expect(r.text).toContain(r.fix.replace)
    expect(r.text).toContain(r.fix.with)
    expect(r.caveats.join('\n')).toMatch(/writable.*read-only/)
    expect(r.caveats.join('\n')).toMatch(/config\.toml\.bak\.\*/)
    expect(r.caveats.join('\n')).toMatch(/recreate the container/)
  })

  it('keeps :ro in the line it replaces when the mount was read-only, and does not warn about it', () => {
    const r = fileMountRefusal(C, fileMount('/opt/cfg/config.toml', '/etc/trader/config.toml', false))
    expect(r.fix).toEqual({
      replace: '- /opt/cfg/config.toml:/etc/trader/config.toml:ro',
      with: '- /opt/cfg:/etc/trader:ro',
    })
    expect(r.caveats.join('\n')).not.toMatch(/writable/)
  })

  it('never proposes mounting over a directory the image lives in: /app, /etc, / get a dedicated /config', () => {
    for (const dest of ['/app/config.toml', '/etc/config.toml', '/config.toml']) {
      const r = fileMountRefusal(C, fileMount('/srv/trading/config/config.toml', dest))
      expect(r.fix.with).toBe('- /srv/trading/config:/config:ro')
      expect(r.containerPathAfter).toBe('/config/config.toml')
      expect(r.caveats[0]).toMatch(/point the service at \/config\/config\.toml/)
    }
  })

  it('a host file with another name: says where the service finds it afterwards', () => {
    const r = fileMountRefusal(C, fileMount('/srv/cfg/prod.toml', '/config/config.toml'))
    expect(r.fix.with).toBe('- /srv/cfg:/config:ro')
    expect(r.containerPathAfter).toBe('/config/prod.toml')
    expect(r.caveats.join('\n')).toMatch(/host file is prod\.toml but the container reads config\.toml/)
  })

  it('works without an endpoint', () => {
    const r = fileMountRefusal({ id: 'abcdef', name: 'x' }, fileMount('/a/config.toml', '/cfg/config.toml'))
    expect(r.summary).toMatch(/^container x \(abcdef\) bind-mounts/)
  })
})
