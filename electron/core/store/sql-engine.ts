/**
 * What the history store needs from a database: PGlite (embedded, the default) and PostgreSQL (the
 * `pg` driver, for teams) both implement it, and run the same SQL and the same migrations.
 * Deliberately small: no interactive transactions, because PGlite lives in a worker thread and a
 * transaction that spans messages would hold the database while the main loop does other work.
 */
export interface SqlStatement {
  sql: string
  params?: readonly unknown[]
}

export interface SqlEngine {
  readonly kind: 'pglite' | 'postgres'
  /** One parameterised statement; the rows it returns. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>
  /** Several statements in one transaction, all or nothing; the rows of each. */
  batch(statements: readonly SqlStatement[]): Promise<Array<Record<string, unknown>[]>>
  close(): Promise<void>
}

/** A database error, with PostgreSQL's SQLSTATE when it has one (e.g. 23505, 57P01). */
export class SqlError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'SqlError'
  }
}

/** A quoted identifier (schema names come from the settings). */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new SqlError(`not a valid SQL identifier: ${JSON.stringify(name)}`)
  return `"${name}"`
}
