import type { SqlEngine } from './sql-engine'
import { globToLike, likeDottedPrefix, storableText } from './sql-glob'

/** One bus event as the store receives it from the ingest path. */
export interface EventRecord {
  /** The bus ring's id of the event (see migrations v2); absent for events from elsewhere. */
  busId?: number
  /** Epoch ms when Stackdeck received it. */
  receivedAt: number
  channel: string
  type?: string | null
  source?: string | null
  agent?: string | null
  /** The message as received (text). */
  payload: string
}

export interface StoredEvent {
  cursor: number
  receivedAt: string
  channel: string
  type: string | null
  source: string | null
  agent: string | null
  payload: string
  host: string
}

export interface EventQuery {
  /** ISO time or epoch ms, inclusive. */
  from?: string | number
  /** ISO time or epoch ms, exclusive. */
  to?: string | number
  channel?: string
  type?: string
  source?: string
  agent?: string
  /** Cursor pagination: events after this cursor (ascending) or before it (descending). */
  after?: number
  before?: number
  order?: 'asc' | 'desc'
  limit?: number
}

export interface StateRecord {
  at: number
  kind: 'killswitch' | 'trading' | 'regime' | 'workflow' | 'supervise'
  who?: string | null
  why?: string | null
  detail?: unknown
}

/** The registry's latest view of one agent, as kept in the agents table. */
export interface AgentRow {
  id: string
  status: string
  /** Epoch ms of the last heartbeat Stackdeck received; null when it never beat. */
  lastBeat: number | null
  /** What else the registry knows (name, group, anomalies), kept as JSON text. */
  detail?: unknown
}

export interface StoredAgent {
  id: string
  status: string
  firstSeen: string
  lastBeat: string | null
  detail: unknown
}

export interface AgentTransition {
  agent: string
  at: number
  from: string | null
  to: string
  detail?: unknown
}

/** An event as GET /bus/events serves it (the contract's BusEvent). */
export interface BusPageEvent {
  id: number
  channel: string
  type: string
  source: string | null
  ts: string
  payload: unknown
}

const MAX_LIMIT = 1000
/** Payloads are stored as the JSON text the ring held; text that no longer parses is served as text. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
const iso = (t: string | number) => new Date(t).toISOString()
/** Details are stored as JSON text (see migrations.ts); null when absent. */
const parseDetail = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : null)
const isoOf = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString())

/**
 * The event history, over either engine. Writes are multi-row: one INSERT … SELECT FROM
 * json_to_recordset(…) per batch, whatever its size, so a flood costs one round trip per flush and not one per event.
 */
export class EventStore {
  constructor(
    private readonly db: SqlEngine,
    private readonly host: string,
  ) {}

  get engine(): SqlEngine['kind'] {
    return this.db.kind
  }

  async append(events: readonly EventRecord[]): Promise<number> {
    if (events.length === 0) return 0
    const rows = new Array<unknown>(events.length)
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!
      const payload = storableText(e.payload)
      rows[i] = {
        t: e.receivedAt,
        c: storableText(e.channel),
        y: e.type == null ? null : storableText(e.type),
        s: e.source == null ? null : storableText(e.source),
        a: e.agent == null ? null : storableText(e.agent),
        p: payload,
        b: Buffer.byteLength(payload),
        i: e.busId ?? null,
      }
    }
    // The batch travels as one JSON text: V8's native JSON.stringify builds it, and PostgreSQL
    // parses it once per row, where nine parameter arrays cost a JavaScript escape loop per element
    // (pg's array literals) and, for PGlite, a structured clone of each array into its worker.
    // ON CONFLICT: a batch sent again after its commit answer was lost stores nothing twice.
    await this.db.query(
      `INSERT INTO events (received_at, channel, type, source, agent, payload, bytes, host, bus_id)
       SELECT to_timestamp(r.t / 1000.0), r.c, r.y, r.s, r.a, r.p, r.b, $2, r.i
       FROM json_to_recordset($1::json) AS r(t float8, c text, y text, s text, a text, p text, b integer, i bigint)
       ON CONFLICT (host, bus_id) WHERE bus_id IS NOT NULL DO NOTHING`,
      [JSON.stringify(rows), this.host],
    )
    return events.length
  }

  /** Events matching `q`, and the cursor to pass as `after`/`before` for the next page (null at the end). */
  async query(q: EventQuery = {}): Promise<{ events: StoredEvent[]; next: number | null }> {
    const where: string[] = []
    const params: unknown[] = []
    const p = (v: unknown) => `$${params.push(v)}`
    if (q.from !== undefined) where.push(`received_at >= ${p(iso(q.from))}::timestamptz`)
    if (q.to !== undefined) where.push(`received_at < ${p(iso(q.to))}::timestamptz`)
    if (q.channel) where.push(`channel LIKE ${p(globToLike(q.channel))} ESCAPE '\\'`)
    if (q.type) where.push(`type LIKE ${p(globToLike(q.type))} ESCAPE '\\'`)
    if (q.source) where.push(`source = ${p(q.source)}`)
    if (q.agent) where.push(`agent = ${p(q.agent)}`)
    if (q.after !== undefined) where.push(`cursor > ${p(q.after)}`)
    if (q.before !== undefined) where.push(`cursor < ${p(q.before)}`)
    const order = q.order === 'desc' ? 'DESC' : 'ASC'
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit ?? 100)))
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT cursor::float8 AS cursor, received_at, channel, type, source, agent, payload, host FROM events
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY cursor ${order} LIMIT ${limit + 1}`,
      params,
    )
    const more = rows.length > limit
    const events = rows.slice(0, limit).map((r) => ({
      cursor: Number(r['cursor']),
      receivedAt: isoOf(r['received_at']),
      channel: String(r['channel']),
      type: (r['type'] as string | null) ?? null,
      source: (r['source'] as string | null) ?? null,
      agent: (r['agent'] as string | null) ?? null,
      payload: String(r['payload']),
      host: String(r['host']),
    }))
    return { events, next: more ? events[events.length - 1]!.cursor : null }
  }

  /**
   * This host's events with a bus id after `since`, in bus-id order: the older part of a
   * GET /bus/events page, in the ring's own cursor space. `type` is the ring's filter (a channel
   * prefix at a dot boundary, or the event's type); `top` is the newest bus id stored after `since`
   * whatever the filter, so the caller knows where the store's knowledge ends.
   */
  async busPage(q: { since: number; limit: number; type?: string; source?: string }): Promise<{ events: BusPageEvent[]; top: number | null }> {
    const params: unknown[] = [this.host, q.since]
    const where = ['host = $1', 'bus_id > $2']
    if (q.type !== undefined) {
      const t = `$${params.push(q.type)}`
      where.push(`(type = ${t} OR channel = ${t} OR channel LIKE ${`$${params.push(likeDottedPrefix(q.type))}`} ESCAPE '\\')`)
    }
    if (q.source !== undefined) where.push(`source = $${params.push(q.source)}`)
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit)))
    const [rows, top] = await Promise.all([
      this.db.query<Record<string, unknown>>(
        `SELECT bus_id::float8 AS bus_id, received_at, channel, type, source, payload FROM events WHERE ${where.join(' AND ')} ORDER BY bus_id LIMIT ${limit}`,
        params,
      ),
      this.db.query<{ top: number | null }>('SELECT max(bus_id)::float8 AS top FROM events WHERE host = $1 AND bus_id > $2', [this.host, q.since]),
    ])
    return {
      events: rows.map((r) => ({
        id: Number(r['bus_id']),
        channel: String(r['channel']),
        type: (r['type'] as string | null) ?? String(r['channel']),
        source: (r['source'] as string | null) ?? null,
        ts: isoOf(r['received_at']),
        payload: parsePayload(String(r['payload'])),
      })),
      top: top[0]?.top == null ? null : Number(top[0].top),
    }
  }

  /** Events per minute and channel in [from, to), for the charts. */
  async countsPerMinute(q: { from: string | number; to: string | number; channel?: string }): Promise<Array<{ minute: string; channel: string; count: number }>> {
    const params: unknown[] = [iso(q.from), iso(q.to)]
    const channel = q.channel ? ` AND channel LIKE $3 ESCAPE '\\'` : ''
    if (q.channel) params.push(globToLike(q.channel))
    const rows = await this.db.query<{ minute: unknown; channel: string; count: number }>(
      `SELECT date_trunc('minute', received_at) AS minute, channel, count(*)::integer AS count FROM events
       WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz${channel}
       GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    )
    return rows.map((r) => ({ minute: isoOf(r.minute), channel: r.channel, count: Number(r.count) }))
  }

  async recordTransitions(ts: readonly AgentTransition[]): Promise<void> {
    if (ts.length === 0) return
    await this.db.query(
      `INSERT INTO agent_transitions (agent, at, from_status, to_status, detail)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])`,
      [
        ts.map((t) => storableText(t.agent)),
        ts.map((t) => iso(t.at)),
        ts.map((t) => t.from),
        ts.map((t) => t.to),
        ts.map((t) => (t.detail === undefined ? null : storableText(JSON.stringify(t.detail)))),
      ],
    )
  }

  /**
   * Upsert the registry's latest view of each agent: one statement per batch. first_seen is kept
   * from the first insert; a last heartbeat never moves backwards (a late batch from another host).
   */
  async upsertAgents(rows: readonly AgentRow[]): Promise<void> {
    if (rows.length === 0) return
    const now = new Date().toISOString()
    await this.db.query(
      `INSERT INTO agents (id, status, first_seen, last_heartbeat, last_payload)
       SELECT id, status, $5::timestamptz, beat, detail FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS u(id, status, beat, detail)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status,
         last_heartbeat = GREATEST(agents.last_heartbeat, EXCLUDED.last_heartbeat),
         last_payload = coalesce(EXCLUDED.last_payload, agents.last_payload)`,
      [
        rows.map((r) => storableText(r.id)),
        rows.map((r) => storableText(r.status)),
        rows.map((r) => (r.lastBeat === null ? null : iso(r.lastBeat))),
        rows.map((r) => (r.detail === undefined ? null : storableText(JSON.stringify(r.detail)))),
        now,
      ],
    )
  }

  /** Every agent the registry has recorded, including ones no Stackdeck has heard since it started. */
  async agents(): Promise<StoredAgent[]> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT id, status, first_seen, last_heartbeat, last_payload FROM agents ORDER BY id LIMIT 10000`)
    return rows.map((r) => ({
      id: String(r['id']),
      status: String(r['status']),
      firstSeen: isoOf(r['first_seen']),
      lastBeat: r['last_heartbeat'] ? isoOf(r['last_heartbeat']) : null,
      detail: parseDetail(r['last_payload']),
    }))
  }

  /** An agent's status changes in [from, to), oldest first. */
  async agentTimeline(agent: string, q: { from?: string | number; to?: string | number } = {}): Promise<Array<{ at: string; from: string | null; to: string; detail: unknown }>> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT at, from_status, to_status, detail FROM agent_transitions
       WHERE agent = $1 AND at >= $2::timestamptz AND at < $3::timestamptz ORDER BY at, id LIMIT ${MAX_LIMIT}`,
      [agent, iso(q.from ?? 0), iso(q.to ?? '9999-12-31T00:00:00Z')],
    )
    return rows.map((r) => ({
      at: isoOf(r['at']),
      from: (r['from_status'] as string | null) ?? null,
      to: String(r['to_status']),
      detail: parseDetail(r['detail']),
    }))
  }

  async recordState(recs: readonly StateRecord[]): Promise<void> {
    if (recs.length === 0) return
    await this.db.query(
      `INSERT INTO state_history (at, kind, who, why, detail, host)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        recs.map((r) => iso(r.at)),
        recs.map((r) => r.kind),
        recs.map((r) => (r.who == null ? null : storableText(r.who))),
        recs.map((r) => (r.why == null ? null : storableText(r.why))),
        recs.map((r) => (r.detail === undefined ? null : storableText(JSON.stringify(r.detail)))),
        recs.map(() => this.host),
      ],
    )
  }

  async stateHistory(q: { kind?: StateRecord['kind']; from?: string | number; to?: string | number; limit?: number } = {}) {
    const params: unknown[] = [iso(q.from ?? 0), iso(q.to ?? '9999-12-31T00:00:00Z')]
    const kind = q.kind ? ` AND kind = $${params.push(q.kind)}` : ''
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(q.limit ?? 200)))
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT at, kind, who, why, detail, host FROM state_history WHERE at >= $1::timestamptz AND at < $2::timestamptz${kind} ORDER BY at, id LIMIT ${limit}`,
      params,
    )
    return rows.map((r) => ({
      at: isoOf(r['at']),
      kind: String(r['kind']) as StateRecord['kind'],
      who: (r['who'] as string | null) ?? null,
      why: (r['why'] as string | null) ?? null,
      detail: parseDetail(r['detail']),
      host: String(r['host']),
    }))
  }

  /** How many events, their payload bytes, and what the table and its indexes take on disk. */
  async stats(): Promise<{ events: number; payloadBytes: number; diskBytes: number; oldest: string | null }> {
    const [r] = await this.db.query<Record<string, unknown>>(
      `SELECT count(*)::float8 AS n, coalesce(sum(bytes), 0)::float8 AS bytes, pg_total_relation_size('events')::float8 AS disk, min(received_at) AS oldest FROM events`,
    )
    return { events: Number(r?.['n'] ?? 0), payloadBytes: Number(r?.['bytes'] ?? 0), diskBytes: Number(r?.['disk'] ?? 0), oldest: r?.['oldest'] ? isoOf(r['oldest']) : null }
  }

  /**
   * Drop the oldest events first: everything older than `maxAgeMs`, then as many more as it takes to
   * bring the events' disk use under `maxBytes` (to 90% of it, so one flood does not trip it again at
   * once). Returns how many were dropped. The space is reclaimed for reuse by VACUUM.
   */
  async enforceRetention(opts: { maxAgeMs?: number; maxBytes?: number; now?: number }): Promise<{ dropped: number }> {
    let dropped = 0
    const now = opts.now ?? Date.now()
    if (opts.maxAgeMs !== undefined) {
      const r = await this.db.query<{ n: number }>(`WITH d AS (DELETE FROM events WHERE received_at < $1::timestamptz RETURNING 1) SELECT count(*)::integer AS n FROM d`, [iso(now - opts.maxAgeMs)])
      dropped += Number(r[0]?.n ?? 0)
    }
    if (opts.maxBytes !== undefined) {
      const s = await this.stats()
      if (s.diskBytes > opts.maxBytes && s.events > 0) {
        const perEvent = s.diskBytes / s.events
        const keep = Math.max(0, Math.floor((opts.maxBytes * 0.9) / perEvent))
        const excess = s.events - keep
        if (excess > 0) {
          const r = await this.db.query<{ n: number }>(
            `WITH cut AS (SELECT cursor FROM events ORDER BY cursor LIMIT $1), d AS (DELETE FROM events WHERE cursor IN (SELECT cursor FROM cut) RETURNING 1) SELECT count(*)::integer AS n FROM d`,
            [excess],
          )
          dropped += Number(r[0]?.n ?? 0)
        }
      }
    }
    if (dropped > 0) await this.db.query('VACUUM events')
    return { dropped }
  }
}
