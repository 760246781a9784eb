import { Ajv, type AnySchema, type ErrorObject, type Options } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { guardNonFinite, NON_FINITE_KEYWORDS } from './ajv-finite'
import { describeNonFinite } from './bounded-shape'

// ajv-formats ships CJS with `exports.default`; under ESM interop the callable may sit one level down.
const addFormats: typeof addFormatsModule =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule

export { ALLOW_NON_FINITE, nonFiniteNumber } from './ajv-finite'

/**
 * One ajv configuration for every schema we compile, so contract, settings, bus payloads and the
 * config schema agree. `draft: '2020'` builds the 2020-12 flavour (user config schemas may use it)
 * with exactly the same options and keywords.
 *
 * Numbers: `strict: false` (we keep annotations such as `x-apply` and TypeBox's extras) silently
 * turned off ajv's `strictNumbers`, so `1e999` (Infinity after JSON.parse, `inf` in TOML) passed
 * every `number`/`integer` schema. Here it is on, and compile() additionally guards the places no
 * `type` covers (`Type.Unknown()`, open objects' extra keys). A schema that really wants NaN or
 * ±Infinity says so with `x-allow-non-finite` (see ajv-finite.ts).
 */
export function createAjv(opts: Options = {}, flavour: { draft?: '07' | '2020' } = {}): Ajv {
  // verbose: errors carry their data, so a refusal can say "got inf" rather than "must be number".
  const options: Options = {
    allErrors: true,
    strict: false,
    coerceTypes: false,
    verbose: true,
    ...opts,
    strictNumbers: true,
  }
  const ajv: Ajv = flavour.draft === '2020' ? new Ajv2020(options) : new Ajv(options)
  addFormats(ajv)
  ajv.addKeyword({ keyword: 'x-apply', schemaType: 'string' })
  for (const k of NON_FINITE_KEYWORDS) ajv.addKeyword(k)
  // Every compile goes through the guard; callers keep calling ajv.compile() as before.
  const compile = ajv.compile.bind(ajv) as (schema: AnySchema, meta?: boolean) => ReturnType<Ajv['compile']>
  ajv.compile = ((schema: AnySchema, meta?: boolean) =>
    compile(guardNonFinite(schema), meta)) as Ajv['compile']
  return ajv
}

export interface FieldError {
  path: string
  message: string
}

/** Turn ajv errors into `{path, message}` pairs that name the field (JSON pointer). */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  if (!errors) return []
  return errors.map((e) => {
    let path = e.instancePath || ''
    if (e.keyword === 'required' && typeof e.params['missingProperty'] === 'string') {
      path = `${path}/${e.params['missingProperty']}`
    } else if (e.keyword === 'additionalProperties' && typeof e.params['additionalProperty'] === 'string') {
      path = `${path}/${e.params['additionalProperty']}`
      return { path, message: 'is not an allowed property' }
    }
    const nf = nonFiniteTypeError(e)
    if (nf !== null) return { path: path || '/', message: nf }
    return { path: path || '/', message: e.message ?? 'is invalid' }
  })
}

/**
 * A `type` error on NaN/±Infinity reads "must be number" for a value that IS a number, which
 * sends the reader looking in the wrong place; say what is wrong instead. Needs the error's data
 * (ajv's `verbose`, on by default in createAjv).
 */
export function nonFiniteTypeError(e: ErrorObject): string | null {
  if (e.keyword !== 'type') return null
  const data: unknown = e.data
  if (typeof data !== 'number' || Number.isFinite(data)) return null
  return `must be a finite number (got ${describeNonFinite(data)})`
}
