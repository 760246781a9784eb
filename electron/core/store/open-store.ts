import { EventStore } from './event-store'
import { migrate } from './migrations'
import { openPgEngine } from './pg-engine'
import { openPgliteEngine } from './pglite-engine'
import type { SqlEngine } from './sql-engine'

export interface StoreLocation {
  /** `postgres://…` for PostgreSQL; empty for the embedded engine in `dataDir`. */
  url?: string
  /** The embedded database's directory (inside the state directory). */
  dataDir: string
  schema?: string
  /** Names this Stackdeck in rows it writes, when several share one database. */
  host: string
}

/** Open the configured engine, bring its schema up to date, and return the store over it. */
export async function openEventStore(loc: StoreLocation): Promise<{ store: EventStore; engine: SqlEngine; migrated: { from: number; to: number } }> {
  const schema = loc.schema ?? 'stackdeck'
  const engine = loc.url ? await openPgEngine({ url: loc.url, schema }) : await openPgliteEngine({ dataDir: loc.dataDir, schema })
  try {
    const migrated = await migrate(engine)
    return { store: new EventStore(engine, loc.host), engine, migrated }
  } catch (err) {
    await engine.close()
    throw err
  }
}
