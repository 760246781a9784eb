/**
 * Host and Origin checks. A foreign Host means DNS rebinding (a hostile name resolving to
 * 127.0.0.1); a foreign Origin means a cross-site page driving the API with the user's browser.
 */
export interface GuardConfig {
  boundHost: string
  port: number
  allowedHosts: readonly string[]
  allowedOrigins: readonly string[]
}

export interface GuardVerdict {
  status: number
  code: 'forbidden' | 'invalid_input'
  message: string
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

export function allowedHostHeaders(cfg: GuardConfig): Set<string> {
  const names = new Set<string>([bracket(cfg.boundHost), 'localhost', ...cfg.allowedHosts.map(bracket)])
  if (cfg.boundHost === '0.0.0.0' || cfg.boundHost === '::') for (const n of LOOPBACK_NAMES) names.add(n)
  if (cfg.boundHost === '127.0.0.1') names.add('127.0.0.1')
  const out = new Set<string>()
  for (const n of names) out.add(`${n.toLowerCase()}:${cfg.port}`)
  return out
}

export function checkRequest(headers: Record<string, string | string[] | undefined>, cfg: GuardConfig): GuardVerdict | null {
  const hosts = allowedHostHeaders(cfg)
  const host = typeof headers['host'] === 'string' ? headers['host'].toLowerCase() : ''
  if (!hosts.has(host)) {
    return { status: 421, code: 'forbidden', message: `Host "${host || '(none)'}" is not allowed` }
  }
  const origin = headers['origin']
  if (typeof origin === 'string' && origin !== '') {
    const ok = cfg.allowedOrigins.includes(origin) || [...hosts].some((h) => origin.toLowerCase() === `http://${h}`)
    if (!ok) return { status: 403, code: 'forbidden', message: `Origin "${origin}" is not allowed` }
  }
  return null
}

/**
 * Headers that decide who is asking, from where and in what format. Node keeps only the first of
 * two `Host` headers in `req.headers`, so a proxy and the host could disagree on which one counts
 * (request smuggling, rebinding past the Host check); a request that carries two is refused.
 */
const SINGLE_HEADERS = ['host', 'authorization', 'origin', 'content-type'] as const

export function duplicateHeader(distinct: Record<string, string[] | undefined>): GuardVerdict | null {
  for (const name of SINGLE_HEADERS) {
    const values = distinct[name]
    if (values && values.length > 1) {
      return { status: 400, code: 'invalid_input', message: `The request carries ${values.length} ${name} headers; send exactly one` }
    }
  }
  return null
}
