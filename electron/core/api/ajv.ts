import { Ajv, type ErrorObject, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats ships CJS with `exports.default`; under ESM interop the callable may sit one level down.
const addFormats: typeof addFormatsModule =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule

/** One ajv configuration for every schema we compile, so contract, settings and config agree. */
export function createAjv(opts: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, ...opts })
  addFormats(ajv)
  ajv.addKeyword({ keyword: 'x-apply', schemaType: 'string' })
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
    return { path: path || '/', message: e.message ?? 'is invalid' }
  })
}
