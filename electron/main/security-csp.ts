/**
 * The renderer's Content-Security-Policy, sent as a header on every HTML page of the `app://` scheme.
 *
 * renderer/index.html carries the same policy in a <meta> tag (minus `frame-ancestors`, which a meta
 * tag cannot set); a unit test keeps the two equal. The policy says `'self'` rather than naming
 * `app://stackdeck` because the same index.html is also served over http by the headless host, and
 * `'self'` resolves to whichever origin served the page. No `'unsafe-inline'`, no `'unsafe-eval'`.
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Directives that browsers ignore in a <meta> CSP, so the meta tag omits them. */
export const HEADER_ONLY_DIRECTIVES = ['frame-ancestors', 'report-uri', 'sandbox']

/** Splits a policy into normalised directives, for order-insensitive comparison. */
export function cspDirectives(policy: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name) out.set(name.toLowerCase(), sources.join(' '))
  }
  return out
}

/** The policy of an HTML page's `<meta http-equiv="Content-Security-Policy">`, or null. */
export function metaCsp(html: string): string | null {
  const m = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html)
  return m?.[1] ?? null
}
