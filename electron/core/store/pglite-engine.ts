import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { sep } from 'node:path'
import { Worker } from 'node:worker_threads'
import { ident, SqlError, type SqlEngine, type SqlStatement } from './sql-engine'

export interface PgliteEngineOptions {
  /** Directory of the embedded database (created when missing); `memory://` for a throw-away one. */
  dataDir: string
  schema: string
  /** How long opening may take (a first start unpacks the cluster: a second or two). */
  openTimeoutMs?: number
}

/**
 * The worker's whole program. PGlite runs PostgreSQL compiled to WASM on the thread that calls it, so
 * a batch insert or a query over millions of rows would stall the host's event loop (the live view,
 * the killswitch, the control API). In its own thread it only costs the main loop a message.
 * Plain CommonJS evaluated from a string: there is no separate file for the bundler to place, and
 * the PGlite module is resolved by the main thread and passed in.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { PGlite } = require(workerData.module)
const fail = (e) => ({ message: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined })
;(async () => {
  let db
  try {
    db = await PGlite.create(workerData.dataDir)
    await db.exec('CREATE SCHEMA IF NOT EXISTS ' + workerData.schema + '; SET search_path TO ' + workerData.schema + ', public')
  } catch (e) {
    parentPort.postMessage({ fatal: fail(e) })
    return
  }
  parentPort.postMessage({ ready: true })
  parentPort.on('message', async (m) => {
    try {
      if (m.op === 'query') {
        const r = await db.query(m.sql, m.params)
        parentPort.postMessage({ id: m.id, ok: true, rows: r.rows })
      } else if (m.op === 'batch') {
        const out = await db.transaction(async (tx) => {
          const rows = []
          for (const s of m.statements) rows.push((await tx.query(s.sql, s.params || [])).rows)
          return rows
        })
        parentPort.postMessage({ id: m.id, ok: true, rows: out })
      } else if (m.op === 'close') {
        await db.close()
        parentPort.postMessage({ id: m.id, ok: true, rows: [] })
      }
    } catch (e) {
      parentPort.postMessage({ id: m.id, ok: false, error: fail(e) })
    }
  })
})()
`

/**
 * Where PGlite's CommonJS entry is. In a packaged app it is unpacked beside app.asar (package.json
 * `asarUnpack`): the worker reads its WASM and data files with plain fs, outside Electron's asar shim.
 */
function pgliteModulePath(): string {
  const p = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const unpacked = p.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`)
  return unpacked !== p && existsSync(unpacked) ? unpacked : p
}

interface Pending {
  resolve: (rows: unknown) => void
  reject: (err: Error) => void
}

/** The embedded engine: PGlite in a worker thread, with its data in `dataDir`. */
export async function openPgliteEngine(opts: PgliteEngineOptions): Promise<SqlEngine> {
  const schema = ident(opts.schema)
  const module = pgliteModulePath()
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, dataDir: opts.dataDir, schema } })
  const pending = new Map<number, Pending>()
  let seq = 0
  let dead: Error | null = null

  const die = (err: Error) => {
    dead ??= err
    for (const p of pending.values()) p.reject(dead)
    pending.clear()
  }
  worker.on('error', (err) => die(new SqlError(`the embedded database stopped: ${err.message}`)))
  worker.on('exit', (code) => die(new SqlError(`the embedded database stopped (worker exit ${code})`)))

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SqlError(`the embedded database in ${opts.dataDir} did not open within ${opts.openTimeoutMs ?? 60_000} ms`)), opts.openTimeoutMs ?? 60_000)
    const onFirst = (m: { ready?: true; fatal?: { message: string; code?: string } }) => {
      clearTimeout(timer)
      if (m.ready) resolve()
      else reject(new SqlError(`cannot open the embedded database in ${opts.dataDir}: ${m.fatal?.message ?? 'unknown error'}`, m.fatal?.code))
    }
    worker.once('message', onFirst)
    worker.once('error', (err) => {
      clearTimeout(timer)
      reject(new SqlError(`cannot open the embedded database in ${opts.dataDir}: ${err.message}`))
    })
  }).catch(async (err: unknown) => {
    await worker.terminate()
    throw err
  })

  worker.on('message', (m: { id: number; ok: boolean; rows?: unknown; error?: { message: string; code?: string } }) => {
    const p = pending.get(m.id)
    if (!p) return
    pending.delete(m.id)
    if (m.ok) p.resolve(m.rows)
    else p.reject(new SqlError(m.error?.message ?? 'query failed', m.error?.code))
  })

  const send = <T>(msg: Record<string, unknown>): Promise<T> => {
    if (dead) return Promise.reject(dead)
    const id = ++seq
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (r: unknown) => void, reject })
      worker.postMessage({ ...msg, id })
    })
  }

  return {
    kind: 'pglite',
    query: <R>(sql: string, params: readonly unknown[] = []) => send<R[]>({ op: 'query', sql, params }),
    batch: (statements: readonly SqlStatement[]) => send<Array<Record<string, unknown>[]>>({ op: 'batch', statements: statements.map((s) => ({ sql: s.sql, params: s.params ?? [] })) }),
    async close() {
      if (!dead) await send({ op: 'close' }).catch(() => undefined)
      await worker.terminate()
    },
  }
}
