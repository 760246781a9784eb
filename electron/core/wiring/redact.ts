import type { Settings } from '../settings/settings-schema'

/** Settings as a client may see them: no token, no token hashes, no Redis password. */
export function redactSettings(s: Settings): unknown {
  const copy = structuredClone(s) as Settings & { api: { token?: string } }
  if (copy.api.token) copy.api.token = '***'
  copy.api.tokens = copy.api.tokens.map((t) => ({ ...t, sha256: '***' }))
  copy.redis.url = redactUrl(copy.redis.url)
  return copy
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}
