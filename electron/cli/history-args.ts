import type { CommandSpec, SubcommandSpec } from './args'

/** `history events --all` stops here, says so and exits 5: a guard against paging a huge store into a terminal. */
export const HISTORY_ALL_CAP = 100_000
/** Events per page asked of the host (the contract's maximum). */
export const HISTORY_PAGE = 1000
export const HISTORY_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const
export type HistoryFormat = (typeof HISTORY_FORMATS)[number]
export const STATE_KINDS = ['killswitch', 'trading', 'regime', 'workflow', 'supervise'] as const

const range = {
  from: { type: 'string' },
  to: { type: 'string' },
  since: { type: 'string' },
} as const
const format = { format: { type: 'string' } } as const

const RANGE_HELP = `  --from T        at or after T: ISO 8601 (2026-12-02T08:00:00Z; UTC when no offset), "now",
                  or how long ago (15m, 2h, 1d, 1h30m)
  --to T          before T (same forms)
  --since D       the last D (15m, 2h, 1d): the same as --from D; not with --from`
const FORMAT_HELP = `  --format F      table (default), json (the same as --json), jsonl (one JSON object a line)
                  or csv (a header line; fields with commas, quotes or line breaks are quoted)`

const SUBCOMMANDS: readonly SubcommandSpec[] = [
  {
    name: 'status',
    usage: 'history status',
    summary:
      'Is history being recorded: state, engine, lag, what it dropped, disk use. Exit 0 writing, 5 paused, unavailable or still opening, 1 off.',
    options: {},
    args: [0, 0],
  },
  {
    name: 'events',
    usage:
      'history events [--from T] [--to T] [--since D] [--channel GLOB] [--type GLOB] [--source S] [--agent A] [--limit N | --all] [--after C | --before C] [--order asc|desc] [--format table|json|jsonl|csv]',
    summary: `Stored bus events, oldest first, paged by cursor: the first 100 by default, --limit N, or --all (up to ${HISTORY_ALL_CAP.toLocaleString('en-US')}; beyond that it stops, says where, and exits 5).`,
    details: `options:
${RANGE_HELP}
  --channel GLOB  channel glob: * any run, ? one character (strategy.*, heartbeat.agent-?)
  --type GLOB     type glob: the subscribed pattern's prefix (heartbeat, data.market, strategy, ...)
  --source S      exactly this source (the payload's source, else its agent_id)
  --agent A       exactly this agent (the payload's agent_id)
  --limit N       at most N events in all (default 100; fetched in pages of ${HISTORY_PAGE})
  --all           every matching event, up to ${HISTORY_ALL_CAP.toLocaleString('en-US')}
  --after C       continue after cursor C (ascending; printed when more remain)
  --before C      continue before cursor C (descending)
  --order O       asc (oldest first, the default) or desc (newest first)
${FORMAT_HELP}

When more events match than were printed, the cursor to continue from goes to stderr (and into
"next" with --format json).`,
    options: {
      ...range,
      channel: { type: 'string' },
      type: { type: 'string' },
      source: { type: 'string' },
      agent: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      after: { type: 'string' },
      before: { type: 'string' },
      order: { type: 'string' },
      ...format,
    },
    args: [0, 0],
  },
  {
    name: 'agent',
    usage: 'history agent <id> [--from T] [--to T] [--since D] [--format table|json|jsonl|csv]',
    summary: "An agent's status timeline (alive, dead, paused, ...), oldest first.",
    details: `options:\n${RANGE_HELP}\n${FORMAT_HELP}`,
    options: { ...range, ...format },
    args: [1, 1],
  },
  {
    name: 'state',
    usage: `history state [--kind ${STATE_KINDS.join('|')}] [--from T] [--to T] [--since D] [--limit N] [--format table|json|jsonl|csv]`,
    summary:
      'State history, oldest first: killswitch engage/release, trading_enabled changes, regime changes, Save & Restart runs, supervised restarts.',
    details: `options:
  --kind K        only ${STATE_KINDS.join(', ')}
${RANGE_HELP}
  --limit N       at most N records (1 to 1000; default 200)
${FORMAT_HELP}`,
    options: { kind: { type: 'string' }, ...range, limit: { type: 'string' }, ...format },
    args: [0, 0],
  },
  {
    name: 'counts',
    usage: 'history counts [--since D | --from T] [--to T] [--channel GLOB] [--format table|json|jsonl|csv]',
    summary: 'Stored events per minute and channel (the last hour unless --since or --from says otherwise).',
    details: `options:\n${RANGE_HELP}\n  --channel GLOB  only channels matching the glob\n${FORMAT_HELP}`,
    options: { ...range, channel: { type: 'string' }, ...format },
    args: [0, 0],
  },
]

export const HISTORY_COMMAND: CommandSpec = {
  name: 'history',
  usage: 'history status|events|agent|state|counts [options]',
  summary: 'The history store: recorded bus events, agent timelines, state changes and per-minute counts.',
  options: {},
  args: [0, 0],
  subcommands: SUBCOMMANDS,
}
