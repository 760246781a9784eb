/**
 * Which Stackdeck host URLs a client may send a token to. A token over plain HTTP across a network
 * is a token given away (anyone on the path reads it, and every act it allows), so a host beyond
 * this machine must be reached over TLS (`https://`), or through an SSH tunnel, which makes it a
 * loopback `http://` URL again (`ssh -L 7420:127.0.0.1:7420 box`). One rule for the desktop
 * window's attach and the CLI's --url. Pure: no DNS lookups; a name other than `localhost` counts
 * as remote, whatever it resolves to.
 */

export type HostUrlCheck =
  { ok: true; origin: string; loopback: boolean; tls: boolean } | { ok: false; reason: string }

/** 127.0.0.0/8, ::1 and localhost (with or without the URL's brackets and a trailing dot). */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  // ::ffff:127.x.y.z is how an IPv4 loopback address looks from an IPv6 socket (WHATWG URL prints
  // it in hex: ::ffff:7f00:1).
  if (/^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h)) return true
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h)
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === '127'
}

/**
 * Checks a host URL: http(s) only, no user:password part (it would sit in shell history and logs;
 * the token goes in a header), and plain http only to loopback. The answer carries the origin,
 * the only part a client uses (a path in the URL is ignored).
 */
export function checkHostUrl(raw: string): HostUrlCheck {
  let u: URL
  try {
    u = new URL(raw.trim())
  } catch {
    return {
      ok: false,
      reason: `"${raw}" is not a URL; expected e.g. https://box.example:7420 or http://127.0.0.1:7420`,
    }
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return {
      ok: false,
      reason: `"${raw}": only http:// (loopback) and https:// hosts are supported, not ${u.protocol}//`,
    }
  if (u.username || u.password)
    return {
      ok: false,
      reason: `"${u.origin}": put no user or password in the URL; the token goes in STACKDECK_TOKEN`,
    }
  const loopback = isLoopbackHostname(u.hostname)
  const tls = u.protocol === 'https:'
  if (!tls && !loopback)
    return {
      ok: false,
      reason:
        `refused plain http:// to ${u.host}, which is not this machine: the token and every command would cross the network in clear. ` +
        `Serve that host over TLS (https://) or tunnel it: ssh -L 7420:127.0.0.1:7420 ${u.hostname}, then use http://127.0.0.1:7420`,
    }
  return { ok: true, origin: u.origin, loopback, tls }
}
