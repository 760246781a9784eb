/**
 * The services section of the settings, managed live: create, replace and remove a service through
 * the contract, written to the settings file (settings-file.ts) and applied without a restart.
 *
 * Every change runs the same steps, one change at a time: read the file (refused when it changed on
 * disk), build the new document, validate it as Stackdeck would at start-up AND as the live parts
 * would take it (the `validate` port), write it durably, then apply it (the `apply` port). Nothing is
 * written that the running parts would refuse, and nothing is applied that is not on disk.
 */
import type { ServiceT, ServicesListT } from '../api/contract/services'
import { CoreError } from '../errors'
import type { SettingsFile } from './settings-file'

export interface ServicesPorts {
  /** The settings file; null when Stackdeck runs on built-in defaults (nothing to write to). */
  file: SettingsFile | null
  /** The services as loaded at start-up (defaults filled in). */
  initial: readonly ServiceT[]
  /**
   * The whole new settings document, checked as at start-up and by the live parts; throws
   * CoreError('invalid_input', { path: '/services/<i>/...' }). Returns its services with defaults.
   */
  validate(raw: Record<string, unknown>): readonly ServiceT[]
  /** Re-applies the services to the running parts (selection, events watch, supervision). */
  apply(services: readonly ServiceT[]): Promise<void>
  onChange?(list: ServicesListT): void
}

type Input = ServiceT & { reason?: string }

export class ServicesManager {
  private current: ServiceT[]
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly p: ServicesPorts) {
    this.current = structuredClone([...p.initial])
  }

  list(): ServicesListT {
    return { services: structuredClone(this.current), source: this.p.file?.path ?? null }
  }

  create(input: Input): Promise<{ service: ServiceT; created: boolean; backup: string | null }> {
    const service = withoutReason(input)
    return this.change((list) => {
      if (list.some((s) => nameOf(s) === service.name)) {
        throw new CoreError('conflict', `a service named ${JSON.stringify(service.name)} exists; PUT /services/${service.name} replaces it`, { path: '/name' })
      }
      return { list: [...list, service], index: list.length }
    }).then((r) => ({ service: r.services[r.index] as ServiceT, created: true, backup: r.backup }))
  }

  /** Create or replace (an upsert): `created` says which. */
  update(input: Input): Promise<{ service: ServiceT; created: boolean; backup: string | null }> {
    const service = withoutReason(input)
    let created = false
    return this.change((list) => {
      const at = list.findIndex((s) => nameOf(s) === service.name)
      created = at < 0
      if (created) return { list: [...list, service], index: list.length }
      return { list: list.map((s, i) => (i === at ? service : s)), index: at }
    }).then((r) => ({ service: r.services[r.index] as ServiceT, created, backup: r.backup }))
  }

  delete(input: { name: string }): Promise<{ name: string; backup: string | null }> {
    return this.change((list) => {
      if (!list.some((s) => nameOf(s) === input.name)) throw new CoreError('not_found', `no service named ${JSON.stringify(input.name)}`, { path: '/name' })
      return { list: list.filter((s) => nameOf(s) !== input.name), index: -1 }
    }).then((r) => ({ name: input.name, backup: r.backup }))
  }

  /** One change at a time: two concurrent creates must not each write over the other's file. */
  private change(edit: (list: unknown[]) => { list: unknown[]; index: number }): Promise<{ services: readonly ServiceT[]; index: number; backup: string | null }> {
    const run = this.queue.then(() => this.changeNow(edit))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async changeNow(edit: (list: unknown[]) => { list: unknown[]; index: number }) {
    const file = this.p.file
    if (!file) {
      throw new CoreError('conflict', 'Stackdeck runs on built-in defaults (no settings file): start it with --settings <file> to manage services')
    }
    const { raw } = await file.read()
    // Edit the services as written by hand when there are some; a file without the section runs on
    // the defaults, which become explicit with the first change.
    const base = Array.isArray(raw['services']) ? (raw['services'] as unknown[]) : (structuredClone(this.current) as unknown[])
    const { list, index } = edit(base)
    const next = { ...raw, services: list }
    let services: readonly ServiceT[]
    try {
      services = this.p.validate(next)
    } catch (err) {
      throw index >= 0 ? relativeToService(err, index) : err
    }
    const { backup } = await file.write(next)
    this.current = structuredClone([...services])
    await this.p.apply(this.current)
    this.p.onChange?.(this.list())
    return { services: this.current, index, backup }
  }
}

/** Entries of the file as written by hand: not validated yet, so read with care. */
const nameOf = (s: unknown): unknown => (s !== null && typeof s === 'object' ? (s as { name?: unknown }).name : undefined)

function withoutReason(input: Input): ServiceT {
  const { reason: _reason, ...service } = input
  return service
}

/**
 * A refusal about the service being written names the field of the request (`/selector`), not its
 * place in the file (`/services/3/selector`); one about another service keeps the file's path.
 */
function relativeToService(err: unknown, index: number): unknown {
  if (!(err instanceof CoreError) || err.path === undefined) return err
  const prefix = `/services/${index}`
  if (err.path !== prefix && !err.path.startsWith(`${prefix}/`)) return err
  const path = err.path.slice(prefix.length) || '/'
  const message = err.message.includes(err.path) ? err.message.replace(err.path, path) : `${path}: ${err.message}`
  return new CoreError(err.code, message, { path, ...(err.details ? { details: err.details } : {}), cause: err })
}
