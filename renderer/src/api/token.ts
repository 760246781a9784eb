const KEY = 'stackdeck.token'
const IN_HASH = /(?:^|[#&])token=([A-Za-z0-9_\-.~]+)/

/**
 * The headless host prints `http://127.0.0.1:PORT/#token=...`. The fragment never reaches a server
 * or a log; we move it into sessionStorage and strip it from the address bar at once.
 */
export function takeTokenFromLocation(): string | null {
  const m = IN_HASH.exec(location.hash)
  if (m?.[1]) {
    sessionStorage.setItem(KEY, m[1])
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem(KEY)
}

export const storeToken = (t: string) => sessionStorage.setItem(KEY, t)

/**
 * After `stackdeck token rotate` the trader pastes the new URL into the open tab. Only the fragment
 * differs, so the browser does not load the page again: it fires `hashchange`, and the client must
 * take the token from there and reconnect. Returns the unsubscribe.
 */
export function onTokenInHash(listener: (token: string) => void): () => void {
  const onChange = () => {
    if (!IN_HASH.test(location.hash)) return
    const t = takeTokenFromLocation()
    if (t) listener(t)
  }
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}
