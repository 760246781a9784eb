import { describe, expect, it } from 'vitest'
import { endpointIsLocal } from './describe-config-views'

describe('endpointIsLocal: whose paths a mount Source names', () => {
  it('unix sockets, Windows pipes and loopback TCP reach an engine on this machine', () => {
    for (const url of [
      'unix:///var/run/docker.sock',
      'npipe:////./pipe/docker_engine',
      'tcp://127.0.0.1:2375',
      'tcp://localhost:2375',
      'https://[::1]:2376',
    ]) {
      expect(endpointIsLocal(url), url).toBe(true)
    }
  })

  it('other hosts, ssh and unparsable URLs are remote', () => {
    for (const url of [
      'tcp://10.0.0.5:2375',
      'https://docker.prod:2376',
      'ssh://ops@trading-1',
      'nonsense',
    ]) {
      expect(endpointIsLocal(url), url).toBe(false)
    }
  })
})
