const KEY = 'stackdeck.token'

/**
 * The headless host prints `http://127.0.0.1:PORT/#token=...`. The fragment never reaches a server
 * or a log; we move it into sessionStorage and strip it from the address bar at once.
 */
export function takeTokenFromLocation(): string | null {
  const m = /(?:^|[#&])token=([A-Za-z0-9_\-.~]+)/.exec(location.hash)
  if (m?.[1]) {
    sessionStorage.setItem(KEY, m[1])
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem(KEY)
}

export const storeToken = (t: string) => sessionStorage.setItem(KEY, t)
