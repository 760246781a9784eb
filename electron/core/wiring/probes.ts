import Docker from 'dockerode'
import type { Probe } from './app-handlers'

/** Ping with a hard deadline so /health never hangs on a dead engine. */
async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

export function dockerOptionsFromUrl(url: string): Docker.DockerOptions {
  const u = new URL(url)
  switch (u.protocol) {
    case 'unix:':
      return { socketPath: decodeURIComponent(u.pathname) }
    case 'npipe:':
      return { socketPath: `//./pipe/${u.pathname.replace(/^\/+/, '')}` }
    case 'ssh:':
      return { protocol: 'ssh', host: u.hostname, port: Number(u.port || 22), username: u.username || undefined }
    case 'https:':
      return { protocol: 'https', host: u.hostname, port: Number(u.port || 2376) }
    default:
      return { protocol: 'http', host: u.hostname, port: Number(u.port || 2375) }
  }
}

export async function probeDockerEndpoints(endpoints: Array<{ id: string; url: string }>): Promise<Probe> {
  const results = await Promise.all(
    endpoints.map(async (e) => {
      try {
        await withDeadline(new Docker(dockerOptionsFromUrl(e.url)).ping(), 2000, `docker ${e.id}`)
        return { id: e.id, ok: true, detail: 'ok' }
      } catch (err) {
        return { id: e.id, ok: false, detail: (err as Error).message }
      }
    }),
  )
  return {
    ok: results.every((r) => r.ok),
    detail: results.map((r) => `${r.id}: ${r.detail}`).join('; '),
  }
}

