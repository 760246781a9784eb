import pg from 'pg'
import { ident, SqlError, type SqlEngine, type SqlStatement } from './sql-engine'

export interface PgEngineOptions {
  url: string
  /** Tables live in this schema, so several tools can share one database. */
  schema: string
  /** Pool size; the store writes in batches, so a few connections are plenty. */
  max?: number
  connectTimeoutMs?: number
  statementTimeoutMs?: number
}

const wrap = (err: unknown): SqlError => {
  const e = err as { message?: string; code?: string }
  return new SqlError(e.message ?? String(err), e.code)
}

/**
 * PostgreSQL through the `pg` pool. Every connection gets the store's schema on its search_path,
 * and a statement timeout, so a stuck server fails a write instead of holding it forever.
 */
export async function openPgEngine(opts: PgEngineOptions): Promise<SqlEngine> {
  const schema = ident(opts.schema)
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    // An idle connection the server dropped is an 'error' on the pool: it must not crash the host.
    idleTimeoutMillis: 30_000,
  })
  pool.on('error', () => undefined)
  pool.on('connect', (client) => {
    client.on('error', () => undefined)
    void client.query(`SET search_path TO ${schema}, public`).catch(() => undefined)
  })
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw wrap(err)
  }
  return {
    kind: 'postgres',
    async query<R>(sql: string, params: readonly unknown[] = []) {
      try {
        return (await pool.query(sql, params as unknown[])).rows as R[]
      } catch (err) {
        throw wrap(err)
      }
    },
    async batch(statements: readonly SqlStatement[]) {
      let client: pg.PoolClient
      try {
        client = await pool.connect()
      } catch (err) {
        throw wrap(err)
      }
      try {
        await client.query('BEGIN')
        const out: Array<Record<string, unknown>[]> = []
        for (const s of statements) out.push((await client.query<Record<string, unknown>>(s.sql, (s.params ?? []) as unknown[])).rows)
        await client.query('COMMIT')
        return out
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw wrap(err)
      } finally {
        client.release()
      }
    },
    async close() {
      await pool.end().catch(() => undefined)
    },
  }
}
