import { readFile } from 'node:fs/promises'
import type { OpInput, OpResult } from '../core/api/contract'
import { intOption, stringOption, type Parsed } from './args'
import type { EventStream, HostClient } from './client'
import { CliError, EXIT, usageError, type ExitCode } from './exit-codes'
import * as fmt from './format'
import { history } from './history'
import { run, runs } from './runs'

type BusEventsQuery = OpInput<'bus.events'>
type BusEvent = OpResult<'bus.events'>['events'][number]

export interface Io {
  out(text: string): void
  err(text: string): void
  readStdin(): Promise<string>
  /** stdin and stdout are a terminal: we may ask before a destructive act. */
  interactive: boolean
  confirm(question: string): Promise<boolean>
  onInterrupt(fn: () => void): () => void
}

export interface CommandContext {
  client: HostClient
  parsed: Parsed
  io: Io
}

/** What a command produced: JSON for --json, text for people, and the exit code. */
export interface CommandOutput {
  json: unknown
  text: string
  exit: ExitCode
  /** Output was already written while running (--follow). */
  streamed?: boolean
}

const done = (json: unknown, text: string, exit: ExitCode = EXIT.ok): CommandOutput => ({ json, text, exit })

/** Formatting must never hide a result: a host of another version may answer another shape. */
function render<T>(format: (v: T) => string, value: T): string {
  try {
    return format(value)
  } catch {
    return JSON.stringify(value, null, 2)
  }
}

function target(values: Parsed['values']): OpInput<'stack.pause' | 'stack.resume'> {
  const service = stringOption(values, 'service')
  const container = stringOption(values, 'container')
  if (service !== undefined && container !== undefined)
    throw usageError('give --service or --container, not both')
  const input: OpInput<'stack.pause' | 'stack.resume'> = {}
  if (service !== undefined) input.target = { service }
  if (container !== undefined) input.target = { container }
  const reason = stringOption(values, 'reason')
  if (reason !== undefined) input.reason = reason
  return input
}

async function confirmOrRefuse(ctx: CommandContext, what: string, question: string): Promise<void> {
  if (ctx.parsed.values['yes'] === true) return
  if (!ctx.io.interactive)
    throw usageError(`${what}: pass --yes to confirm (not asking: this is not a terminal)`)
  if (!(await ctx.io.confirm(`${question} [y/N] `)))
    throw new CliError(EXIT.failed, 'cancelled; nothing was changed')
}

async function status(ctx: CommandContext): Promise<CommandOutput> {
  const stack = await ctx.client.call('stack.status', {})
  // Extras are best effort: a host without a bus or a schedule still has a status.
  const [killswitch, schedule] = await Promise.all([
    ctx.client.callIfOffered('bus.killswitch.get', {}).catch(() => null),
    ctx.client.callIfOffered('schedule.get', {}).catch(() => null),
  ])
  const json = { stack, killswitch, schedule }
  const text = render((s) => fmt.formatStatus(s, { killswitch, schedule }), stack)
  return done(json, text)
}

async function health(ctx: CommandContext): Promise<CommandOutput> {
  const h = await ctx.client.health()
  const degraded = h?.status !== 'ok'
  return done(
    h,
    render(fmt.formatHealth, h),
    degraded && ctx.parsed.values['strict'] === true ? EXIT.partial : EXIT.ok,
  )
}

async function info(ctx: CommandContext): Promise<CommandOutput> {
  const i = await ctx.client.call('app.info', {})
  return done(i, render(fmt.formatInfo, i))
}

async function stackAction(ctx: CommandContext, op: 'stack.pause' | 'stack.resume'): Promise<CommandOutput> {
  const r = await ctx.client.call(op, target(ctx.parsed.values))
  return done(r, render(fmt.formatAction, r), r?.ok === false ? EXIT.partial : EXIT.ok)
}

async function saveRestart(ctx: CommandContext): Promise<CommandOutput> {
  const { values } = ctx.parsed
  const file = stringOption(values, 'file')
  if (!file) throw usageError('save-restart needs --file <config.toml>')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as Error).message}`)
  }
  if (values['paused'] === true && values['hot'] === true) throw usageError('give --paused or --hot, not both')
  let baseHash = stringOption(values, 'base-hash')
  if (baseHash !== undefined && !/^[a-f0-9]{64}$/.test(baseHash))
    throw usageError('--base-hash must be 64 hex digits (sha256)')
  // The hash of the file as the host sees it now: the run refuses if it changes before the write.
  baseHash ??= (await ctx.client.call('config.load', {})).hash

  if (values['yes'] !== true && ctx.io.interactive) {
    const check = await ctx.client.callIfOffered('config.validate', { text }).catch(() => null)
    if (check && !check.ok) {
      const lines = check.errors.map(
        (e) => `  ${e.line !== undefined ? `line ${e.line}:${e.column ?? 0}` : (e.path ?? '')}: ${e.message}`,
      )
      throw new CliError(EXIT.failed, `${file} is not valid:\n${lines.join('\n')}`)
    }
    if (check?.diff) ctx.io.err(`changes: ${check.diff.summary}`)
  }
  await confirmOrRefuse(
    ctx,
    'save-restart pauses and reloads the stack',
    `Save & Restart ${file} on ${ctx.client.url}?`,
  )

  const input: OpInput<'workflow.saveAndRestart'> = { text, baseHash }
  const reason = stringOption(values, 'reason')
  if (reason !== undefined) input.reason = reason
  if (values['no-verify'] === true) input.verifyReload = false
  // Neither flag: the host decides (settings workflow.applyMode; auto applies an all-hot change without pausing).
  if (values['paused'] === true) input.mode = 'paused'
  if (values['hot'] === true) input.mode = 'hot'
  const r = await ctx.client.call('workflow.saveAndRestart', input)
  const exit: ExitCode =
    r?.outcome === 'applied' ? EXIT.ok : r?.outcome === 'applied_unconfirmed' ? EXIT.partial : EXIT.failed
  return done(r, render(fmt.formatRun, r), exit)
}

async function configViews(ctx: CommandContext): Promise<CommandOutput> {
  const read = ctx.parsed.values['read'] === true
  const r = await ctx.client.call('stack.configViews', read ? { readFiles: true } : {})
  const differs = read && (r?.containers ?? []).some((c) => fmt.viewBytesVerdict(c) === 'differs')
  return done(r, render(fmt.formatConfigViews, r), differs ? EXIT.partial : EXIT.ok)
}

async function killswitch(ctx: CommandContext): Promise<CommandOutput> {
  const sub = ctx.parsed.positionals[0] ?? 'status'
  if (sub === 'status') {
    const k = await ctx.client.call('bus.killswitch.get', {})
    return done(k, render(fmt.formatKillswitchState, k))
  }
  if (sub !== 'engage' && sub !== 'release' && sub !== 'resume')
    throw usageError(`killswitch: unknown action "${sub}" (status, engage, release or resume)`)
  const reason = stringOption(ctx.parsed.values, 'reason')?.trim()
  if (!reason) throw usageError(`killswitch ${sub} needs --reason "<why>" (it goes into the audit log)`)
  await confirmOrRefuse(
    ctx,
    `killswitch ${sub}`,
    sub === 'engage'
      ? `ENGAGE the killswitch on ${ctx.client.url} (stops trading now)?`
      : sub === 'release'
        ? `RELEASE the killswitch on ${ctx.client.url}? (trading stays disabled until \`killswitch resume\`)`
        : `RESUME TRADING on ${ctx.client.url}? (lifts the killswitch latch; trading then follows the schedule)`,
  )
  if (sub === 'resume') {
    const r = await ctx.client.call('trading.resume', { reason, confirm: true })
    return done(r, `trading     ${r.tradingEnabled ? 'ENABLED' : r.tradingEnabled === false ? 'disabled' : 'unknown'}: ${r.outcome}`)
  }
  const r = await ctx.client.call(`bus.killswitch.${sub}` as const, { reason, confirm: true })
  const failedAction = Object.values(r?.actions ?? {}).some((a) => a?.status === 'failed')
  return done(r, render(fmt.formatKillswitchResult, r), failedAction ? EXIT.partial : EXIT.ok)
}

async function token(ctx: CommandContext): Promise<CommandOutput> {
  const sub = ctx.parsed.positionals[0]
  if (sub !== 'rotate') throw usageError(`token: unknown action "${String(sub)}" (rotate)`)
  await confirmOrRefuse(
    ctx,
    'token rotate',
    `ROTATE the admin token of ${ctx.client.url}? (scripts and pages using the old one must take the new one)`,
  )
  const reason = stringOption(ctx.parsed.values, 'reason')?.trim()
  const r = await ctx.client.call('api.rotateToken', reason ? { reason } : {})
  // The token goes to stdout alone on its first line, so `stackdeck token rotate --yes | head -1` captures it.
  return done(r, `${r.token}\nOpen: ${r.url}\n(the old token no longer works; set STACKDECK_TOKEN=<the new one> for this CLI)`)
}

async function agents(ctx: CommandContext): Promise<CommandOutput> {
  const a = await ctx.client.call('bus.agents', {})
  return done(a, render(fmt.formatAgents, a))
}

function eventsQuery(values: Parsed['values']): BusEventsQuery {
  const q: BusEventsQuery = {}
  const since = intOption(values, 'since')
  const limit = intOption(values, 'limit')
  if (since !== undefined) q.since = since
  if (limit !== undefined) q.limit = limit
  for (const k of ['type', 'source'] as const) {
    const v = stringOption(values, k)
    if (v !== undefined) q[k] = v
  }
  return q
}

async function events(ctx: CommandContext): Promise<CommandOutput> {
  const query = eventsQuery(ctx.parsed.values)
  if (ctx.parsed.values['follow'] === true) return follow(ctx, query)
  const page = await ctx.client.call('bus.events', query)
  const text = render((p: typeof page) => {
    const lines = p.events.map(fmt.formatEvent)
    if (p.dropped > 0) lines.push(`(${p.dropped} older events were already evicted)`)
    return lines.length > 0 ? lines.join('\n') : 'no events'
  }, page)
  return done(page, text)
}

/**
 * Streams events: connect first, then read the current page over the same socket, so nothing
 * published in between is missed; frames are applied in order after that page.
 */
async function follow(ctx: CommandContext, query: BusEventsQuery): Promise<CommandOutput> {
  const { io } = ctx
  const json = ctx.parsed.global.json
  const { type, source } = query
  const matches = (e: BusEvent) =>
    (type === undefined || e.channel === type || e.channel.startsWith(`${type}.`)) &&
    (source === undefined || e.source === source)
  const print = (e: BusEvent) => io.out(json ? JSON.stringify(e) : fmt.formatEvent(e))
  let cursor = 0
  // Set from callbacks; an object so the checks below are not narrowed away.
  const state: { failure: Error | null; interrupted: boolean } = { failure: null, interrupted: false }
  let startReading!: () => void
  let chain = new Promise<void>((r) => (startReading = r))
  let stream: EventStream | null = null

  const catchUp = async (s: EventStream) => {
    for (;;) {
      const p = await s.call('bus.events', { ...query, since: cursor, limit: 200 })
      p.events.forEach(print)
      cursor = Math.max(cursor, p.nextCursor)
      if (p.events.length < 200) return
    }
  }

  stream = await ctx.client.stream((frame) => {
    if (frame.event !== 'bus.update') return
    const u: { events?: BusEvent[]; eventsSkipped?: number } = frame.payload
    chain = chain
      .then(async () => {
        if ((u.eventsSkipped ?? 0) > 0 && stream) return catchUp(stream)
        for (const e of u.events ?? []) {
          if (e.id <= cursor) continue
          if (matches(e)) print(e)
          cursor = e.id
        }
      })
      .catch((err: unknown) => {
        state.failure = err instanceof Error ? err : new Error(String(err))
        stream?.close()
      })
  })

  const off = io.onInterrupt(() => {
    state.interrupted = true
    stream?.close()
  })
  try {
    const first = await stream.call('bus.events', query)
    first.events.forEach(print)
    cursor = first.nextCursor
    startReading()
    const closed = await stream.closed
    await chain
    if (state.failure) throw state.failure
    if (state.interrupted) return { json: null, text: '', exit: EXIT.ok, streamed: true }
    throw new CliError(
      EXIT.unreachable,
      `the host closed the event stream (code ${closed.code}${closed.reason ? `: ${closed.reason}` : ''})`,
    )
  } finally {
    off()
    stream.close()
  }
}

async function schedule(ctx: CommandContext): Promise<CommandOutput> {
  const v = await ctx.client.call('schedule.get', {})
  return done(v, render(fmt.formatSchedule, v))
}

type AuditQuery = OpInput<'audit.query'>
const OUTCOMES: ReadonlyArray<NonNullable<AuditQuery['outcome']>> = ['ok', 'failed', 'partial', 'refused']
const isOutcome = (v: string): v is NonNullable<AuditQuery['outcome']> => OUTCOMES.some((o) => o === v)
type AuditDoor = NonNullable<AuditQuery['door']>
// Every door, or this stops compiling: the record's set of doors is the contract's.
const DOOR_SET = { ipc: 1, http: 1, ws: 1, scheduler: 1, supervisor: 1, system: 1 } satisfies Record<AuditDoor, 1>
const DOORS = Object.keys(DOOR_SET) as AuditDoor[]
const isDoor = (v: string): v is AuditDoor => DOORS.some((d) => d === v)

async function audit(ctx: CommandContext): Promise<CommandOutput> {
  const { values } = ctx.parsed
  const q: AuditQuery = {}
  const limit = intOption(values, 'limit')
  const since = intOption(values, 'since')
  if (limit !== undefined) q.limit = limit
  if (since !== undefined) q.since = since
  for (const k of ['action', 'who'] as const) {
    const v = stringOption(values, k)
    if (v !== undefined) q[k] = v
  }
  const outcome = stringOption(values, 'outcome')
  if (outcome !== undefined) {
    if (!isOutcome(outcome)) throw usageError(`--outcome is one of ${OUTCOMES.join(', ')}`)
    q.outcome = outcome
  }
  const door = stringOption(values, 'door')
  if (door !== undefined) {
    if (!isDoor(door)) throw usageError(`--door is one of ${DOORS.join(', ')}`)
    q.door = door
  }
  const page = await ctx.client.call('audit.query', q)
  return done(page, render(fmt.formatAudit, page))
}

async function call(ctx: CommandContext): Promise<CommandOutput> {
  const [op, raw] = ctx.parsed.positionals as [string, string | undefined]
  if (!/^[a-zA-Z0-9_.]+$/.test(op)) throw usageError(`"${op}" is not an operation name (like stack.status)`)
  let input: unknown = {}
  const text = raw === '-' ? await ctx.io.readStdin() : raw
  if (text !== undefined && text.trim() !== '') {
    try {
      input = JSON.parse(text)
    } catch (err) {
      throw usageError(`the input is not JSON: ${(err as Error).message}`)
    }
  }
  const result = await ctx.client.callByName(op, input)
  return done(result, JSON.stringify(result, null, 2))
}

export const HANDLERS: Record<string, (ctx: CommandContext) => Promise<CommandOutput>> = {
  status,
  health,
  info,
  pause: (ctx) => stackAction(ctx, 'stack.pause'),
  resume: (ctx) => stackAction(ctx, 'stack.resume'),
  'save-restart': saveRestart,
  'config-views': configViews,
  killswitch,
  token,
  agents,
  events,
  schedule,
  audit,
  history,
  runs,
  run: (ctx) => run(ctx),
  call,
}
