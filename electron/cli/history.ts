/**
 * `stackdeck history …`: the history store's operations (history.status, .events, .agent, .state,
 * .counts). Events are paged by cursor; jsonl and csv stream page by page, so `--all` into a file
 * never holds the whole result in memory.
 */
import type { OpInput, OpResult } from '../core/api/contract'
import { intOption, stringOption, type Parsed } from './args'
import type { CommandContext, CommandOutput } from './commands'
import { CliError, EXIT, usageError, type ExitCode } from './exit-codes'
import { HISTORY_ALL_CAP, HISTORY_PAGE, STATE_KINDS, type HistoryFormat } from './history-args'
import * as hf from './history-format'
import { csvHeader, csvRows, jsonLine, toCsv, toJsonl, type Column } from './tabular'
import { timeRange } from './time-args'

type EventsQuery = OpInput<'history.events'>
type EventsPage = OpResult<'history.events'>
type StateKind = (typeof STATE_KINDS)[number]

/** The output format: --format, or json with --json (the two are checked against each other in args). */
export function historyFormat(parsed: Parsed): HistoryFormat {
  const f = stringOption(parsed.values, 'format')
  if (f === 'json' || f === 'jsonl' || f === 'csv' || f === 'table') return f
  return parsed.global.json ? 'json' : 'table'
}

/** A host error answer, with a pointer to `history status` when history cannot answer now. */
async function historyCall<T>(p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (err) {
    if (err instanceof CliError && err.error.code === 'unavailable')
      throw new CliError(err.exit, `${err.message} (see \`stackdeck history status\`)`, err.error)
    throw err
  }
}

function rangeOf(values: Parsed['values'], now: number, defaultSince?: string) {
  return timeRange(
    { from: stringOption(values, 'from'), to: stringOption(values, 'to'), since: stringOption(values, 'since') },
    now,
    defaultSince,
  )
}

function rows<T>(format: HistoryFormat, columns: readonly Column<T>[], list: readonly T[], human: () => string): string {
  if (format === 'csv') return toCsv(columns, list)
  if (format === 'jsonl') return toJsonl(list)
  return human()
}

async function status(ctx: CommandContext): Promise<CommandOutput> {
  const s = await ctx.client.call('history.status', {})
  let text: string
  try {
    text = hf.formatHistoryStatus(s)
  } catch {
    text = JSON.stringify(s, null, 2)
  }
  return { json: s, text, exit: hf.historyStatusExit(s) }
}

export interface EventsPlan {
  /** The filters and the starting cursor; `limit` is set per page. */
  query: Omit<EventsQuery, 'limit'>
  /** How many events to print at most. */
  want: number
  /** `--all`: `want` is the cap, and reaching it with more left is a partial result. */
  all: boolean
}

/** The `history events` command line as a query plan; usage errors name the flag. */
export function eventsPlan(values: Parsed['values'], now: number): EventsPlan {
  const query: Omit<EventsQuery, 'limit'> = { ...rangeOf(values, now) }
  for (const k of ['channel', 'type', 'source', 'agent'] as const) {
    const v = stringOption(values, k)
    if (v === undefined) continue
    if (v === '') throw usageError(`--${k} needs a value`)
    if (v.length > 200) throw usageError(`--${k} is longer than 200 characters`)
    query[k] = v
  }
  const order = stringOption(values, 'order')
  if (order !== undefined && order !== 'asc' && order !== 'desc')
    throw usageError(`--order is asc or desc, got "${order}"`)
  const after = intOption(values, 'after')
  const before = intOption(values, 'before')
  if (after !== undefined && before !== undefined) throw usageError('give --after or --before, not both')
  if (after !== undefined && order === 'desc') throw usageError('--after pages oldest first; use --before with --order desc')
  if (before !== undefined && order === 'asc') throw usageError('--before pages newest first; use --after with --order asc')
  const desc = order === 'desc' || before !== undefined
  if (desc) query.order = 'desc'
  if (after !== undefined) query.after = after
  if (before !== undefined) query.before = before

  const all = values['all'] === true
  const limit = intOption(values, 'limit')
  if (all && limit !== undefined) throw usageError('give --limit or --all, not both')
  if (limit !== undefined && (limit < 1 || limit > HISTORY_ALL_CAP))
    throw usageError(`--limit is 1 to ${HISTORY_ALL_CAP} (use --all for everything up to that cap), got ${limit}`)
  return { query, want: all ? HISTORY_ALL_CAP : (limit ?? 100), all }
}

export interface PagedResult {
  count: number
  /** Where to continue (pass as --after, or --before when descending); null: nothing more matches. */
  next: number | null
  /** --all stopped at its cap with more left. */
  capped: boolean
}

/**
 * Pages `history.events` by cursor until `want` events or the end, handing each page to `onPage`
 * as it arrives. Stops with an error if the host's cursor does not move (a broken host would
 * otherwise loop for ever).
 */
export async function pageEvents(
  fetchPage: (q: EventsQuery) => Promise<EventsPage>,
  plan: EventsPlan,
  onPage: (events: EventsPage['events']) => void,
  pageSize = HISTORY_PAGE,
): Promise<PagedResult> {
  const desc = plan.query.order === 'desc'
  let cursor: number | undefined = desc ? plan.query.before : plan.query.after
  let count = 0
  let next: number | null
  for (;;) {
    const q: EventsQuery = { ...plan.query, limit: Math.max(1, Math.min(pageSize, plan.want - count)) }
    delete q.after
    delete q.before
    if (cursor !== undefined) {
      if (desc) q.before = cursor
      else q.after = cursor
    }
    const page = await fetchPage(q)
    const events = page.events.slice(0, plan.want - count)
    onPage(events)
    count += events.length
    // A host that answered more than asked: continue after the last event printed, not its cursor.
    next = events.length < page.events.length ? (events.at(-1)?.cursor ?? cursor ?? null) : page.next
    if (next === null || count >= plan.want) break
    if (events.length === 0 || next === cursor)
      throw new CliError(EXIT.failed, `history.events: the host's cursor did not advance (stuck at ${String(next)})`)
    cursor = next
  }
  return { count, next, capped: plan.all && next !== null }
}

function continueHint(plan: EventsPlan, r: PagedResult): string | null {
  if (r.next === null) return null
  const flag = plan.query.order === 'desc' ? '--before' : '--after'
  if (r.capped)
    return `stopped at the --all cap of ${HISTORY_ALL_CAP.toLocaleString('en-US')} events; more match: continue with ${flag} ${r.next}`
  return `more events match: continue with ${flag} ${r.next}, or use --all`
}

async function events(ctx: CommandContext): Promise<CommandOutput> {
  const format = historyFormat(ctx.parsed)
  const plan = eventsPlan(ctx.parsed.values, Date.now())
  const fetchPage = (q: EventsQuery) => historyCall(ctx.client.call('history.events', q))
  const exitFor = (r: PagedResult): ExitCode => (r.capped ? EXIT.partial : EXIT.ok)

  if (format === 'jsonl' || format === 'csv') {
    // Streamed: each page is written as it arrives; the CSV header even when nothing matches.
    if (format === 'csv') ctx.io.out(`${csvHeader(hf.EVENT_COLUMNS)}\n`)
    const r = await pageEvents(fetchPage, plan, (page) => {
      if (page.length === 0) return
      const lines = format === 'csv' ? csvRows(hf.EVENT_COLUMNS, page) : page.map(jsonLine)
      ctx.io.out(`${lines.join('\n')}\n`)
    })
    const hint = continueHint(plan, r)
    if (hint) ctx.io.err(hint)
    return { json: null, text: '', exit: exitFor(r), streamed: true }
  }

  const all: EventsPage['events'] = []
  const r = await pageEvents(fetchPage, plan, (page) => all.push(...page))
  const hint = continueHint(plan, r)
  if (format === 'json') {
    if (r.capped && hint) ctx.io.err(hint)
    return { json: { events: all, next: r.next, ...(r.capped ? { capped: true } : {}) }, text: '', exit: exitFor(r) }
  }
  const text = hf.formatStoredEvents(all) + (hint ? `\n(${hint})` : '')
  return { json: null, text, exit: exitFor(r) }
}

async function agent(ctx: CommandContext): Promise<CommandOutput> {
  const id = ctx.parsed.positionals[0] as string
  if (id.trim() === '' || id.length > 200) throw usageError('history agent: give the agent id (1 to 200 characters)')
  const format = historyFormat(ctx.parsed)
  const input: OpInput<'history.agent'> = { agent: id, ...rangeOf(ctx.parsed.values, Date.now()) }
  const r = await historyCall(ctx.client.call('history.agent', input))
  const text = rows(format, hf.TRANSITION_COLUMNS, r.transitions, () => hf.formatAgentTimeline(id, r.transitions))
  return { json: r, text, exit: EXIT.ok }
}

const isKind = (v: string): v is StateKind => STATE_KINDS.some((k) => k === v)

async function state(ctx: CommandContext): Promise<CommandOutput> {
  const { values } = ctx.parsed
  const format = historyFormat(ctx.parsed)
  const input: OpInput<'history.state'> = { ...rangeOf(values, Date.now()) }
  const kind = stringOption(values, 'kind')
  if (kind !== undefined) {
    if (!isKind(kind)) throw usageError(`--kind is one of ${STATE_KINDS.join(', ')}, got "${kind}"`)
    input.kind = kind
  }
  const limit = intOption(values, 'limit')
  if (limit !== undefined) {
    if (limit < 1 || limit > 1000) throw usageError(`--limit is 1 to 1000, got ${limit}`)
    input.limit = limit
  }
  const r = await historyCall(ctx.client.call('history.state', input))
  const text = rows(format, hf.STATE_COLUMNS, r.records, () => hf.formatStateHistory(r.records))
  return { json: r, text, exit: EXIT.ok }
}

async function counts(ctx: CommandContext): Promise<CommandOutput> {
  const { values } = ctx.parsed
  const format = historyFormat(ctx.parsed)
  const now = Date.now()
  const range = rangeOf(values, now, '1h')
  const input: OpInput<'history.counts'> = { from: range.from as string, to: range.to ?? new Date(now).toISOString() }
  const channel = stringOption(values, 'channel')
  if (channel !== undefined) {
    if (channel === '') throw usageError('--channel needs a value')
    input.channel = channel
  }
  const r = await historyCall(ctx.client.call('history.counts', input))
  const text = rows(format, hf.COUNT_COLUMNS, r.counts, () => hf.formatCounts(r.counts, input))
  return { json: r, text, exit: EXIT.ok }
}

const SUBCOMMANDS: Record<string, (ctx: CommandContext) => Promise<CommandOutput>> = {
  status,
  events,
  agent,
  state,
  counts,
}

export async function history(ctx: CommandContext): Promise<CommandOutput> {
  const name = ctx.parsed.subcommand?.name
  const handler = name === undefined ? undefined : SUBCOMMANDS[name]
  if (!handler) throw usageError(`history needs a subcommand: ${Object.keys(SUBCOMMANDS).join(', ')}`)
  return handler(ctx)
}
