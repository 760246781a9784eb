import type { ValidateFunction } from 'ajv'
import { createAjv, describeAjvErrors } from './ajv'
import { MAX_INPUT_DEPTH, exceedsDepth } from './bounded-shape'
import type { CallContext } from './call-context'
import { operations, type ContractError, type Envelope, type Handlers, type OperationName } from './contract'
import { isCoreError } from '../errors'

export class ContractCallError extends Error {
  readonly code: ContractError['code']
  readonly path?: string
  readonly details?: ContractError['details']
  constructor(e: ContractError) {
    super(e.message)
    this.name = 'ContractCallError'
    this.code = e.code
    if (e.path !== undefined) this.path = e.path
    if (e.details !== undefined) this.details = e.details
  }
}

export interface Dispatcher {
  has(name: string): name is OperationName
  /** Validates `input` against the contract before the handler ever sees it. Never throws. */
  dispatch(name: string, input: unknown, ctx: CallContext): Promise<Envelope<unknown>>
}

export interface DispatcherOptions {
  /** Check results against the contract too; on in tests so the contract cannot silently drift. */
  validateResults?: boolean
  log?: (msg: string, err?: unknown) => void
}

// Compiled once per process: both doors share these validators.
const ajv = createAjv({ useDefaults: true })
const inputValidators = new Map<string, ValidateFunction>()
const resultValidators = new Map<string, ValidateFunction>()
function validatorFor(map: Map<string, ValidateFunction>, name: OperationName, kind: 'input' | 'result') {
  let v = map.get(name)
  if (!v) {
    v = ajv.compile(operations[name][kind])
    map.set(name, v)
  }
  return v
}

export function toContractError(err: unknown, log?: DispatcherOptions['log']): ContractError {
  if (isCoreError(err)) {
    const e: ContractError = { code: err.code, message: err.message }
    if (err.path !== undefined) e.path = err.path
    if (err.details !== undefined) e.details = err.details
    return e
  }
  // Unknown failures are logged in full here and reported without internals.
  log?.('internal error', err)
  return { code: 'internal', message: 'Internal error; see the Stackdeck log for details.' }
}

export function invalidInput(name: string, errors: ReturnType<typeof describeAjvErrors>): ContractError {
  const first = errors[0]
  return {
    code: 'invalid_input',
    message: `${name}: ${first?.path ?? '/'} ${first?.message ?? 'is invalid'}`,
    path: first?.path ?? '/',
    details: errors,
  }
}

// The depth bound is shared with the bus ingest (electron/core/api/bounded-shape.ts).
export { MAX_INPUT_DEPTH, exceedsDepth }

export function createDispatcher(handlers: Handlers, opts: DispatcherOptions = {}): Dispatcher {
  const log = opts.log ?? ((m, e) => console.error(`[dispatcher] ${m}`, e))
  const has = (name: string): name is OperationName => Object.hasOwn(operations, name)
  return {
    has,
    async dispatch(name, rawInput, ctx) {
      if (!has(name)) return { ok: false, error: { code: 'not_found', message: `Unknown operation: ${name}` } }
      let input: unknown
      try {
        if (exceedsDepth(rawInput, MAX_INPUT_DEPTH)) {
          return { ok: false, error: { code: 'invalid_input', message: `${name}: input is nested deeper than ${MAX_INPUT_DEPTH} levels`, path: '/' } }
        }
        input = rawInput === undefined || rawInput === null ? {} : structuredClone(rawInput)
      } catch (err) {
        return { ok: false, error: { code: 'invalid_input', message: `${name}: input cannot be copied (${(err as Error).message})`, path: '/' } }
      }
      const validate = validatorFor(inputValidators, name, 'input')
      if (!validate(input)) return { ok: false, error: invalidInput(name, describeAjvErrors(validate.errors)) }
      try {
        const handler = handlers[name] as (i: unknown, c: CallContext) => Promise<unknown>
        const result = await handler(input, ctx)
        if (opts.validateResults) {
          const check = validatorFor(resultValidators, name, 'result')
          if (!check(result)) {
            log(`${name} returned a result outside its contract: ${JSON.stringify(check.errors)}`)
            return { ok: false, error: { code: 'internal', message: `${name} result violates the contract` } }
          }
        }
        return { ok: true, result }
      } catch (err) {
        return { ok: false, error: toContractError(err, log) }
      }
    },
  }
}
