import Docker from 'dockerode'
import { afterEach, describe, expect, it } from 'vitest'
import { CoreError } from '../errors'
import { dockerodeOptions, parseEndpointUrl } from './endpoint-url'

describe('parseEndpointUrl', () => {
  it('maps unix sockets to socketPath', () => {
    expect(parseEndpointUrl('unix:///var/run/docker.sock')).toEqual({
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
    })
    expect(parseEndpointUrl('unix:///tmp/a b/docker.sock')).toEqual({
      kind: 'unix',
      socketPath: '/tmp/a b/docker.sock',
    })
  })

  it('maps tcp/http/https with default ports', () => {
    expect(parseEndpointUrl('tcp://10.0.0.5:2375')).toEqual({
      kind: 'tcp',
      host: '10.0.0.5',
      port: 2375,
      protocol: 'http',
    })
    expect(parseEndpointUrl('tcp://docker.lan')).toEqual({
      kind: 'tcp',
      host: 'docker.lan',
      port: 2375,
      protocol: 'http',
    })
    expect(parseEndpointUrl('http://h:1234')).toEqual({
      kind: 'tcp',
      host: 'h',
      port: 1234,
      protocol: 'http',
    })
    expect(parseEndpointUrl('https://h')).toEqual({ kind: 'tcp', host: 'h', port: 2376, protocol: 'https' })
    expect(parseEndpointUrl('tcp://[::1]:2375')).toEqual({
      kind: 'tcp',
      host: '::1',
      port: 2375,
      protocol: 'http',
    })
  })

  it('maps ssh with user and optional port', () => {
    expect(parseEndpointUrl('ssh://trader@box')).toEqual({
      kind: 'ssh',
      host: 'box',
      port: 22,
      username: 'trader',
      protocol: 'ssh',
    })
    expect(parseEndpointUrl('ssh://trader@box:2222')).toMatchObject({ port: 2222, username: 'trader' })
  })

  it.each([
    ['', /scheme/],
    ['/var/run/docker.sock', /scheme/],
    ['unix://', /socket path/],
    ['ftp://h', /unsupported scheme/],
    ['ssh://box', /need a user/],
    ['ssh://u:secret@box', /passwords/],
    ['tcp://u@h:1', /only supported for ssh/],
    ['tcp://h:2375/v1.41', /path/],
    ['tcp://h:notaport', /host\[:port\]/],
  ])('rejects %j', (url, why) => {
    let caught: unknown
    try {
      parseEndpointUrl(url)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(CoreError)
    expect((caught as CoreError).code).toBe('invalid_input')
    expect((caught as CoreError).message).toMatch(why)
  })
})

describe('dockerodeOptions', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('is not redirected by DOCKER_HOST or cut by DOCKER_CLIENT_TIMEOUT from the environment', () => {
    process.env['DOCKER_HOST'] = 'tcp://elsewhere:2375'
    process.env['DOCKER_CLIENT_TIMEOUT'] = '5'
    const modem = (
      new Docker(dockerodeOptions(parseEndpointUrl('unix:///run/x.sock'))) as unknown as {
        modem: Record<string, unknown>
      }
    ).modem
    expect(modem['socketPath']).toBe('/run/x.sock')
    expect(modem['host']).toBeUndefined()
    expect(modem['timeout']).toBeUndefined()
  })

  it('builds tcp and ssh modems', () => {
    const tcp = (
      new Docker(dockerodeOptions(parseEndpointUrl('tcp://h:2375'))) as unknown as {
        modem: Record<string, unknown>
      }
    ).modem
    expect(tcp).toMatchObject({ host: 'h', port: 2375, protocol: 'http' })
    const ssh = dockerodeOptions(parseEndpointUrl('ssh://u@h'), { SSH_AUTH_SOCK: '/tmp/agent.sock' })
    expect(ssh).toMatchObject({
      host: 'h',
      port: 22,
      username: 'u',
      protocol: 'ssh',
      sshOptions: { agent: '/tmp/agent.sock' },
    })
    expect(dockerodeOptions(parseEndpointUrl('ssh://u@h'), {}).sshOptions).toEqual({})
  })
})
