/**
 * What the headless host does with an error nothing caught. Node's default is to print and exit,
 * which turned one hostile WebSocket frame into a dead control API; silently swallowing is no
 * better, because the trader then relies on a process in an unknown state. The policy:
 *
 * - unhandled promise rejection: a bug in one request or one background task; log it with its
 *   stack and keep serving (no synchronous state was half-updated by a rejection);
 * - uncaught exception from a single connection (socket reset, write after end, a WebSocket
 *   protocol error that escaped its socket's handler): log it and keep serving, the connection is
 *   gone and nothing else shares its state;
 * - any other uncaught exception: the process state is unknown. Log it loudly, try a bounded
 *   graceful shutdown, and exit with EX_SOFTWARE (70) so a supervisor restarts it. Never exit
 *   without saying why;
 * - more than `maxPerMinute` kept-serving errors in a minute is itself treated as fatal, so a loop
 *   of failures cannot hide behind the log.
 */
export const EXIT_SOFTWARE = 70

/** Error codes that belong to one socket or stream; the rest of the host is untouched by them. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_METHOD',
])

export function isConnectionScoped(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return false
  return CONNECTION_CODES.has(code) || code.startsWith('WS_ERR_') || code.startsWith('HPE_')
}

export interface ProcessLike {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown
  on(event: 'uncaughtException', listener: (err: Error, origin: string) => void): unknown
  off(event: string, listener: (...args: never[]) => void): unknown
}

export interface CrashPolicyOptions {
  log: (line: string) => void
  exit: (code: number) => void
  /** Best-effort graceful stop before a fatal exit (close sockets, dispose the core). */
  shutdown?: () => Promise<void>
  shutdownTimeoutMs?: number
  maxPerMinute?: number
  now?: () => number
}

const describe = (err: unknown): string =>
  err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `non-error value: ${safeString(err)}`

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/** Installs the policy on `proc` (process in production, a fake in tests); returns the uninstaller. */
export function installCrashPolicy(proc: ProcessLike, o: CrashPolicyOptions): () => void {
  const now = o.now ?? Date.now
  const maxPerMinute = o.maxPerMinute ?? 100
  const recent: number[] = []
  let dying = false

  const die = (what: string, err: unknown) => {
    if (dying) {
      o.log(`[host] ${what} while shutting down: ${describe(err)}`)
      return
    }
    dying = true
    o.log(
      `[host] FATAL ${what}; the host's state is unknown, exiting with code ${EXIT_SOFTWARE}: ${describe(err)}`,
    )
    const timeout = o.shutdownTimeoutMs ?? 3000
    const stop = o.shutdown ? o.shutdown() : Promise.resolve()
    const timer = new Promise<void>((r) => setTimeout(r, timeout).unref?.())
    void Promise.race([
      stop.catch((e: unknown) => o.log(`[host] shutdown failed: ${describe(e)}`)),
      timer,
    ]).then(() => o.exit(EXIT_SOFTWARE))
  }

  /** True when this kept-serving error pushes the rate over the limit. */
  const tooMany = () => {
    const t = now()
    recent.push(t)
    while (recent.length > 0 && (recent[0] as number) < t - 60_000) recent.shift()
    return recent.length > maxPerMinute
  }

  const onRejection = (reason: unknown) => {
    if (tooMany()) return die(`${recent.length} unhandled errors within a minute`, reason)
    o.log(`[host] unhandled promise rejection (kept serving): ${describe(reason)}`)
  }
  const onException = (err: Error, origin: string) => {
    if (isConnectionScoped(err)) {
      if (tooMany()) return die(`${recent.length} unhandled errors within a minute`, err)
      o.log(`[host] uncaught ${origin} from one connection (kept serving): ${describe(err)}`)
      return
    }
    die(`uncaught ${origin}`, err)
  }
  proc.on('unhandledRejection', onRejection)
  proc.on('uncaughtException', onException)
  return () => {
    proc.off('unhandledRejection', onRejection)
    proc.off('uncaughtException', onException)
  }
}
