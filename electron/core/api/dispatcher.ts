import type { ValidateFunction } from 'ajv'
import { createAjv, describeAjvErrors } from './ajv'
import { MAX_INPUT_DEPTH, exceedsDepth } from './bounded-shape'
import type { CallContext } from './call-context'
import { operations, type ContractError, type Envelope, type Handlers, type OperationName } from './contract'
import { isCoreError } from '../errors'
import { findLoneSurrogate } from './well-formed-strings'

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

/**
 * Errors listed in one refusal, at most. ajv with allErrors reports every fault, and a 649 KB body
 * of 60,000 unknown keys once produced a 3.47 MB 400; the first few name the problem just as well.
 */
export const MAX_LISTED_ERRORS = 20

export function invalidInput(name: string, errors: ReturnType<typeof describeAjvErrors>): ContractError {
  const first = errors[0]
  const rest = errors.length - MAX_LISTED_ERRORS
  const details = rest > 0 ? errors.slice(0, MAX_LISTED_ERRORS) : errors
  if (rest > 0) details.push({ path: '/', message: `and ${rest} more error(s), not listed` })
  return {
    code: 'invalid_input',
    message: `${name}: ${first?.path ?? '/'} ${first?.message ?? 'is invalid'}${rest > 0 ? ` (and ${errors.length - 1} more errors)` : ''}`,
    path: first?.path ?? '/',
    details,
  }
}

// The depth bound is shared with the bus ingest (electron/core/api/bounded-shape.ts).
export { MAX_INPUT_DEPTH, exceedsDepth }

type Schema = { type?: unknown; required?: unknown }
/** An operation whose input has no required field may be called with no input at all. */
export function inputIsOptional(name: OperationName): boolean {
  const s = operations[name].input as Schema
  return s.type === 'object' && (!Array.isArray(s.required) || s.required.length === 0)
}

/**
 * What a door hands over when the caller sent nothing (an empty HTTP body, a WS frame without
 * `input`, an IPC call without an argument) is `undefined`. Only that means "no input", and only
 * for operations whose input is entirely optional. `null` is a value the caller chose: a body of
 * `null` used to count as `{}` and paused the whole stack.
 */
function absentOrNull(name: OperationName, raw: unknown): ContractError | null {
  if (raw === null) {
    return { code: 'invalid_input', message: `${name}: input must be a JSON object, not null`, path: '/' }
  }
  if (raw === undefined && !inputIsOptional(name)) {
    const req = (operations[name].input as Schema).required as string[]
    return {
      code: 'invalid_input',
      message: `${name}: input is required (an object with ${req.map((k) => `\`${k}\``).join(', ')})`,
      path: `/${req[0] ?? ''}`,
    }
  }
  return null
}


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
        const missing = absentOrNull(name, rawInput)
        if (missing) return { ok: false, error: missing }
        const lone = findLoneSurrogate(rawInput)
        if (lone) {
          const where = lone.inKey ? 'the property name' : 'the string'
          const unit = `U+${lone.unit.toString(16).toUpperCase()}`
          return {
            ok: false,
            error: {
              code: 'invalid_input',
              message: `${name}: ${lone.path}: ${where} holds a lone surrogate (${unit}) at character offset ${lone.offset}; text must be valid Unicode`,
              path: lone.path,
            },
          }
        }
        input = rawInput === undefined ? {} : structuredClone(rawInput)
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
