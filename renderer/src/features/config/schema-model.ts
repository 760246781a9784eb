/**
 * Just enough JSON Schema reading to lay out a form: resolve local $refs, pick a widget per node,
 * inherit x-apply, describe the constraints in words. Deliberately no validation here: the server
 * validates (CSP forbids ajv's code generation in the renderer, and one validator means one truth).
 */
import { isObject, type Plain } from './pointer'

export type Schema = Plain
export type Apply = 'hot' | 'restart'
export type Kind = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'mixed' | 'unknown'
export type Scalar = 'string' | 'number' | 'integer' | 'boolean'

const SCALARS: readonly Scalar[] = ['string', 'number', 'integer', 'boolean']

function lookup(root: Schema, ref: string): Schema | null {
  if (!ref.startsWith('#')) return null
  let cur: unknown = root
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    cur = isObject(cur) ? cur[seg] : undefined
  }
  return isObject(cur) ? cur : null
}

/** Follows local $refs; keywords next to a $ref (description, x-apply) win over the target's. */
export function resolve(schema: unknown, root: Schema, depth = 0): Schema {
  if (!isObject(schema)) return {}
  const ref = schema['$ref']
  if (typeof ref !== 'string' || depth > 20) return schema
  const target = lookup(root, ref)
  if (!target) return schema
  const { $ref: _ignored, ...siblings } = schema
  return { ...resolve(target, root, depth + 1), ...siblings }
}

export function typesOf(schema: Schema): string[] {
  const t = schema['type']
  if (typeof t === 'string') return [t]
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string')
  return []
}

export function kindOf(schema: Schema, value: unknown): Kind {
  if (Array.isArray(schema['enum'])) return 'enum'
  const types = typesOf(schema).filter((t) => t !== 'null')
  if (types.length > 1) return types.every((t) => (SCALARS as readonly string[]).includes(t)) ? 'mixed' : 'unknown'
  const t = types[0]
  if (t === 'object' || t === 'array' || t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') return t
  if (isObject(schema['properties']) || isObject(schema['additionalProperties'])) return 'object'
  if (schema['items'] !== undefined) return 'array'
  // No type in the schema: lay the field out after the value it holds.
  if (isObject(value)) return 'object'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return 'number'
  if (typeof value === 'string') return 'string'
  return 'unknown'
}

/** Scalar types a mixed field may take, in the order the type picker shows them. */
export const mixedTypes = (schema: Schema): Scalar[] => SCALARS.filter((s) => typesOf(schema).includes(s))

export const scalarOf = (v: unknown): Scalar | null =>
  typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v === 'string' ? 'string' : null

export function applyOf(schema: Schema, inherited: Apply | undefined): Apply | undefined {
  const a = schema['x-apply']
  return a === 'hot' || a === 'restart' ? a : inherited
}

export const APPLY_WORDS: Record<Apply | 'unknown', string> = {
  hot: 'takes effect on reload',
  restart: 'needs a service restart',
  unknown: 'apply mode unknown: treat as needing a restart',
}

export function propertiesOf(schema: Schema): [string, Schema][] {
  const p = schema['properties']
  return isObject(p) ? Object.entries(p).map(([k, v]) => [k, isObject(v) ? v : {}]) : []
}

export const requiredOf = (schema: Schema): string[] =>
  Array.isArray(schema['required']) ? schema['required'].filter((x): x is string => typeof x === 'string') : []

/** The schema of extra keys (a map such as [agents.<id>]), or null when extra keys are not expected. */
export function extraSchemaOf(schema: Schema): Schema | null {
  const ap = schema['additionalProperties']
  return isObject(ap) ? ap : null
}

export function itemsOf(schema: Schema, root: Schema): Schema {
  const items = schema['items']
  return resolve(Array.isArray(items) ? items[0] : items, root)
}

export const enumOf = (schema: Schema): unknown[] => (Array.isArray(schema['enum']) ? schema['enum'] : [])

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)

/** "≥ 0 · ≤ 10000000", "1–64 chars", "format: a date YYYY-MM-DD": the rules a trader can act on. */
export function constraintText(schema: Schema): string {
  const parts: string[] = []
  const min = num(schema['minimum'])
  const max = num(schema['maximum'])
  const xmin = num(schema['exclusiveMinimum'])
  const xmax = num(schema['exclusiveMaximum'])
  if (min !== undefined) parts.push(`≥ ${min}`)
  if (xmin !== undefined) parts.push(`> ${xmin}`)
  if (max !== undefined) parts.push(`≤ ${max}`)
  if (xmax !== undefined) parts.push(`< ${xmax}`)
  const minL = num(schema['minLength'])
  const maxL = num(schema['maxLength'])
  if (minL !== undefined || maxL !== undefined) parts.push(`${minL ?? 0}–${maxL ?? '∞'} chars`)
  const minI = num(schema['minItems'])
  const maxI = num(schema['maxItems'])
  if (minI !== undefined && minI > 0) parts.push(`at least ${minI} item${minI === 1 ? '' : 's'}`)
  if (maxI !== undefined) parts.push(`at most ${maxI}`)
  if (schema['uniqueItems'] === true) parts.push('no duplicates')
  if (typeof schema['title'] === 'string') parts.push(schema['title'])
  if (schema['default'] !== undefined) parts.push(`default ${JSON.stringify(schema['default'])}`)
  return parts.join(' · ')
}

/** A starting value for a newly added field, list item or map entry. */
export function initialValue(schema: Schema, root: Schema, depth = 0): unknown {
  if (schema['default'] !== undefined) return structuredClone(schema['default'])
  const kind = kindOf(schema, undefined)
  switch (kind) {
    case 'enum':
      return enumOf(schema)[0]
    case 'boolean':
      return false
    case 'number':
    case 'integer': {
      const min = num(schema['minimum']) ?? num(schema['exclusiveMinimum'])
      return min !== undefined ? Math.max(0, Math.ceil(min)) : 0
    }
    case 'array':
      return []
    case 'object': {
      const out: Plain = {}
      if (depth > 8) return out
      for (const key of requiredOf(schema)) {
        const prop = propertiesOf(schema).find(([k]) => k === key)?.[1]
        out[key] = initialValue(resolve(prop ?? extraSchemaOf(schema) ?? {}, root), root, depth + 1)
      }
      return out
    }
    default:
      return ''
  }
}

/** Whether a proposed map key passes the schema's propertyNames pattern (RegExp is CSP-safe). */
export function keyProblem(schema: Schema, key: string, existing: Plain | undefined): string | null {
  if (!key) return 'Give the new entry a name'
  if (existing && Object.hasOwn(existing, key)) return `"${key}" already exists`
  const names = schema['propertyNames']
  if (isObject(names) && typeof names['pattern'] === 'string') {
    try {
      if (!new RegExp(names['pattern'], 'u').test(key)) return `"${key}" does not match ${names['pattern']}`
    } catch {
      // A pattern this browser cannot compile: leave it to the server.
    }
  }
  return null
}
