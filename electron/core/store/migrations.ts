import type { SqlEngine } from './sql-engine'

export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * The store's schema, as numbered steps. Both engines run the same list. A step is never edited once
 * released: a change is a new step, so a database at any earlier version reaches the latest one.
 * Payloads are kept as the text received (not jsonb): PostgreSQL's jsonb refuses some JSON that the
 * bus can carry (\u0000), and the trader's tools can still cast `payload::jsonb` where it is clean.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, agents, agent transitions, state history',
    sql: `
      CREATE TABLE events (
        cursor      bigserial PRIMARY KEY,
        received_at timestamptz NOT NULL,
        channel     text NOT NULL,
        type        text,
        source      text,
        agent       text,
        payload     text NOT NULL,
        bytes       integer NOT NULL,
        host        text NOT NULL
      );
      CREATE INDEX events_received_at ON events (received_at);
      CREATE INDEX events_type_received_at ON events (type, received_at);
      CREATE INDEX events_agent_received_at ON events (agent, received_at) WHERE agent IS NOT NULL;

      CREATE TABLE agents (
        id             text PRIMARY KEY,
        status         text NOT NULL,
        first_seen     timestamptz NOT NULL,
        last_heartbeat timestamptz,
        last_payload   text
      );

      CREATE TABLE agent_transitions (
        id          bigserial PRIMARY KEY,
        agent       text NOT NULL,
        at          timestamptz NOT NULL,
        from_status text,
        to_status   text NOT NULL,
        detail      text
      );
      CREATE INDEX agent_transitions_agent_at ON agent_transitions (agent, at);

      CREATE TABLE state_history (
        id     bigserial PRIMARY KEY,
        at     timestamptz NOT NULL,
        kind   text NOT NULL,
        who    text,
        why    text,
        detail text,
        host   text NOT NULL
      );
      CREATE INDEX state_history_kind_at ON state_history (kind, at);
    `,
  },
  {
    version: 2,
    name: 'bus ids on events: one cursor space with the live ring, and exactly-once writes',
    // bus_id is the ring's id (time-seeded, so it grows across restarts of one host): GET /bus/events
    // pages the store and the ring with the same cursor, and a batch written again after a lost
    // commit answer hits the unique index instead of storing twice. Rows from v1 keep NULL.
    sql: `
      ALTER TABLE events ADD COLUMN bus_id bigint;
      CREATE UNIQUE INDEX events_host_bus_id ON events (host, bus_id) WHERE bus_id IS NOT NULL;
    `,
  },
]

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/**
 * Bring the database to the latest version. Each step and its record commit together; an advisory
 * lock makes hosts that share one database take turns, so two of them starting at once do not both
 * run step 1. A database newer than this build is refused rather than written to blindly.
 */
export async function migrate(engine: SqlEngine, migrations: readonly Migration[] = MIGRATIONS): Promise<{ from: number; to: number }> {
  await engine.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
  const from = await currentVersion(engine)
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0
  if (from > latest) throw new Error(`the history database is at schema version ${from}, newer than this Stackdeck knows (${latest}); upgrade Stackdeck or point store.url elsewhere`)
  for (const m of migrations) {
    if (m.version <= from) continue
    await engine.batch([
      { sql: 'SELECT pg_advisory_xact_lock(4851001)' },
      // Another host may have applied it while we waited for the lock: the step then does nothing.
      { sql: `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ${m.version}) THEN ${m.sql.replace(/;\s*$/, '')}; INSERT INTO schema_migrations (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}'); END IF; END $$` },
    ])
  }
  return { from, to: Math.max(from, latest) }
}

/** The schema version of the database; 0 when it has none (not even the migrations table). */
export async function currentVersion(engine: SqlEngine): Promise<number> {
  const [t] = await engine.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`)
  if (!t?.t) return 0
  const rows = await engine.query<{ v: number | null }>('SELECT max(version)::integer AS v FROM schema_migrations')
  return rows[0]?.v ?? 0
}
