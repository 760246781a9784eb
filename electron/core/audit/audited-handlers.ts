import type { CallContext } from '../api/call-context'
import type { AuditOutcomeT } from '../api/contract/audit'
import { isCoreError, type ErrorCode } from '../errors'
import type { AuditEntry, AuditSink } from './audit-log'
import { canonicalJson, digestInput, sha256Hex } from './input-digest'

/**
 * Wraps contract handlers so that every call of a listed operation leaves one audit record,
 * whichever door it came through. The composition root applies it once to the handler table;
 * the dispatcher has validated the input before the handler (and so this wrapper) runs.
 */

// `never` input: any handler's parameter type accepts it, so every handler table fits.
export type AnyHandler = (input: never, ctx: CallContext) => Promise<unknown>

export interface AuditDescription {
  target?: string
  reason?: string
  configDiffHash?: string
  detail?: Record<string, unknown>
}

export interface AuditWrapOptions {
  /** Success is not always `ok` (a Save & Restart can report `failed`); override the default reading. */
  outcomeOf?: (action: string, result: unknown) => AuditOutcomeT
  /** Add or override target, reason, config hash or detail for an action. */
  describe?: (action: string, input: unknown, result: unknown) => AuditDescription | undefined
  /** Where a failure to write the audit record is reported; the operation's answer stands. */
  log?: (message: string, err?: unknown) => void
}

/** Codes that mean "rejected before anything was done". */
const REFUSED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_input',
  'not_found',
  'conflict',
  'busy',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'parse_error',
  'schema_error',
])

export function outcomeOfError(code: ErrorCode): AuditOutcomeT {
  if (REFUSED.has(code)) return 'refused'
  if (code === 'partial_failure') return 'partial'
  return 'failed'
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reads the result shapes the contract uses for "done, but not entirely": `ok: false` (stack
 * actions), a run `outcome` (Save & Restart), and failed `actions` (killswitch).
 */
export function defaultOutcomeOf(_action: string, result: unknown): AuditOutcomeT {
  if (!isObject(result)) return 'ok'
  const outcome = result['outcome']
  if (outcome === 'failed' || outcome === 'unpause_failed') return 'failed'
  if (outcome === 'applied_unconfirmed' || outcome === 'partial') return 'partial'
  if (result['ok'] === false) return 'partial'
  const actions = result['actions']
  if (isObject(actions) && Object.values(actions).some((a) => isObject(a) && a['status'] === 'failed'))
    return 'partial'
  return 'ok'
}

/** What was acted on, from the input fields the contract uses for it. */
export function defaultTarget(action: string, input: unknown): string | undefined {
  const i = isObject(input) ? input : {}
  const t = i['target']
  if (isObject(t)) {
    if (typeof t['container'] === 'string') return `container:${t['container']}`
    if (typeof t['service'] === 'string') return `service:${t['service']}`
    return 'stack'
  }
  if (typeof i['agentId'] === 'string') return `agent:${i['agentId']}`
  if (typeof i['container'] === 'string') return `container:${i['container']}`
  if (typeof i['service'] === 'string') return `service:${i['service']}`
  if (action.startsWith('stack.')) return 'stack'
  // The services routes name the service being created, replaced or removed by `name`.
  if (action.startsWith('services.') && typeof i['name'] === 'string') return `service:${i['name']}`
  return undefined
}

/** Config changes: the from/to hashes, and one hash naming the change (of the reported diff when there is one). */
function configChange(
  input: unknown,
  result: unknown,
): { hash: string; from: string; to: string | null } | undefined {
  if (!isObject(input) || typeof input['baseHash'] !== 'string') return undefined
  const r = isObject(result) ? result : {}
  const toRaw = r['newHash'] ?? r['hash']
  const to = typeof toRaw === 'string' ? toRaw : null
  const from = input['baseHash']
  const hash =
    r['diff'] !== undefined ? sha256Hex(canonicalJson(r['diff'])) : sha256Hex(`${from}..${to ?? ''}`)
  return { hash, from, to }
}

function errorDetail(err: unknown): { code: ErrorCode; message: string } {
  if (isCoreError(err)) return { code: err.code, message: err.message }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
}

export function auditedHandlers<H extends Record<string, AnyHandler>>(
  handlers: H,
  audit: AuditSink,
  actionsToAudit: Iterable<string>,
  opts: AuditWrapOptions = {},
): H {
  const outcomeOf = opts.outcomeOf ?? defaultOutcomeOf
  const log = opts.log ?? ((m: string, e?: unknown) => console.error(`[audit] ${m}`, e))
  const out: Record<string, AnyHandler> = { ...handlers }

  for (const action of new Set(actionsToAudit)) {
    const inner = handlers[action] as unknown as
      ((input: unknown, ctx: CallContext) => Promise<unknown>) | undefined
    // A typo here would silently leave an operation unaudited: fail at start-up instead.
    if (typeof inner !== 'function') throw new Error(`auditedHandlers: no handler named ${action}`)

    const wrapped = async (input: unknown, ctx: CallContext): Promise<unknown> => {
      const started = Date.now()
      const digest = digestInput(input)
      let result: unknown
      let failure: unknown
      let failed = false
      try {
        result = await inner(input, ctx)
      } catch (err) {
        failed = true
        failure = err
      }

      const entry: AuditEntry = { who: ctx.who, door: ctx.door, action, outcome: 'ok' }
      const detail: Record<string, unknown> = {
        input: digest.summary,
        inputSha256: digest.sha256,
        ms: Date.now() - started,
      }
      try {
        const target = defaultTarget(action, input)
        if (target !== undefined) entry.target = target
        const reason = isObject(input) ? input['reason'] : undefined
        if (typeof reason === 'string' && reason !== '') entry.reason = reason
        if (failed) {
          const e = errorDetail(failure)
          entry.outcome = outcomeOfError(e.code)
          detail['error'] = e
        } else {
          entry.outcome = outcomeOf(action, result)
          const change = configChange(input, result)
          if (change) {
            entry.configDiffHash = change.hash
            detail['config'] = { from: change.from, to: change.to }
          }
        }
        const extra = opts.describe?.(action, input, failed ? undefined : result)
        if (extra?.target !== undefined) entry.target = extra.target
        if (extra?.reason !== undefined) entry.reason = extra.reason
        if (extra?.configDiffHash !== undefined) entry.configDiffHash = extra.configDiffHash
        if (extra?.detail) Object.assign(detail, extra.detail)
        entry.detail = detail
        // Awaited: when the caller hears "done", the record is already on disk.
        await audit.append(entry)
      } catch (err) {
        log(`could not record ${action} by ${ctx.who} (${entry.outcome})`, err)
      }

      if (failed) throw failure
      return result
    }
    out[action] = wrapped
  }
  return out as H
}
