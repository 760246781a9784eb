import Docker from 'dockerode'
import { CoreError } from '../errors'
import type { EndpointSpec } from './types'

/**
 * What dockerode needs for one endpoint. Every key docker-modem would otherwise take from the
 * process environment is set explicitly (host, timeout, pathPrefix): a stray DOCKER_HOST or
 * DOCKER_CLIENT_TIMEOUT must not redirect an endpoint or cut its long-lived events stream.
 */
export type EndpointOptions =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; protocol: 'http' | 'https' }
  | { kind: 'ssh'; host: string; port: number; username: string; protocol: 'ssh' }

export function parseEndpointUrl(url: string): EndpointOptions {
  const bad = (why: string) =>
    new CoreError('invalid_input', `docker endpoint ${JSON.stringify(url)}: ${why}`, { path: '/url' })
  const m = /^([a-z]+):\/\/(.*)$/.exec(url.trim())
  if (!m) throw bad('expected scheme://…')
  const scheme = m[1] as string
  const rest = m[2] as string
  if (scheme === 'unix' || scheme === 'npipe') {
    if (!rest) throw bad('missing socket path')
    return { kind: 'unix', socketPath: rest }
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https' && scheme !== 'ssh') {
    throw bad(`unsupported scheme ${scheme}:// (unix, npipe, tcp, http, https, ssh)`)
  }
  let u: URL
  try {
    // URL only parses ports and userinfo for "special" schemes; borrow http for all of them.
    u = new URL(`http://${rest}`)
  } catch {
    throw bad('not a valid host[:port]')
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) throw bad('missing host')
  if (u.pathname !== '/' || u.search || u.hash) throw bad('a path, query or fragment is not supported')
  if (u.password) throw bad('passwords in endpoint URLs are not supported; use an ssh agent or key')
  if (scheme === 'ssh') {
    if (!u.username) throw bad('ssh endpoints need a user: ssh://user@host[:port]')
    return {
      kind: 'ssh',
      host,
      port: u.port ? Number(u.port) : 22,
      username: decodeURIComponent(u.username),
      protocol: 'ssh',
    }
  }
  if (u.username) throw bad('user names are only supported for ssh://')
  const protocol = scheme === 'https' ? 'https' : 'http'
  const port = u.port ? Number(u.port) : protocol === 'https' ? 2376 : 2375
  return { kind: 'tcp', host, port, protocol }
}

/** dockerode constructor options for a parsed endpoint. `env` is injectable for tests. */
export function dockerodeOptions(
  opts: EndpointOptions,
  env: NodeJS.ProcessEnv = process.env,
): Docker.DockerOptions {
  const base = { timeout: undefined, pathPrefix: '/' } as Docker.DockerOptions
  switch (opts.kind) {
    case 'unix':
      return { ...base, socketPath: opts.socketPath, host: undefined, port: undefined }
    case 'tcp':
      return { ...base, host: opts.host, port: opts.port, protocol: opts.protocol }
    case 'ssh': {
      const agent = env['SSH_AUTH_SOCK']
      return {
        ...base,
        host: opts.host,
        port: opts.port,
        username: opts.username,
        protocol: 'ssh',
        // docker-modem runs `docker system dial-stdio` on the remote host over this connection.
        sshOptions: agent ? { agent } : {},
      }
    }
  }
}

export interface EndpointClient {
  id: string
  url: string
  docker: Docker
}

export function createEndpointClient(spec: EndpointSpec): EndpointClient {
  return { id: spec.id, url: spec.url, docker: new Docker(dockerodeOptions(parseEndpointUrl(spec.url))) }
}
