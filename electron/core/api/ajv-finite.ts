import type { AnySchema, ErrorObject, KeywordDefinition } from 'ajv'
import type { DataValidationCxt } from 'ajv/dist/types/index.js'
import { checkShape, toPointer } from './bounded-shape'

/**
 * Non-finite numbers (NaN, ±Infinity) are refused everywhere unless a schema explicitly allows them.
 *
 * `strictNumbers` (set in createAjv) covers every `type: number|integer`. What no `type` covers is
 * a value the schema leaves open: `Type.Unknown()` / `{}`, `true`, and the extra keys of an object
 * without `additionalProperties: false` (bus payloads let agents add fields). guardNonFinite()
 * rewrites a COPY of the schema before compiling so those places get a deep finite check too.
 *
 * To allow them, a schema node says `"x-allow-non-finite": true` (any number, finite or not);
 * such a node and everything under it is left alone. Inside an OPEN object the extra-key guard
 * cannot tell an allowed extra from any other, so keep allowed numbers under named properties.
 */
export const ALLOW_NON_FINITE = 'x-allow-non-finite'
const DEEP = 'x-finite-deep'
const EXTRAS = 'x-finite-extras'

/** A number that may be NaN or ±Infinity: the explicit opt-in. */
export function nonFiniteNumber(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, [ALLOW_NON_FINITE]: true }
}

/** Depth is bounded before validation (dispatcher, bus ingest); here only finiteness matters. */
const NO_DEPTH_LIMIT = Number.MAX_SAFE_INTEGER

type Validate = ((schema: unknown, data: unknown, parent?: unknown, cxt?: DataValidationCxt) => boolean) & {
  errors?: Partial<ErrorObject>[]
}

function refuseNonFinite(
  data: unknown,
  cxt: DataValidationCxt | undefined,
  skip?: (key: string) => boolean,
): Partial<ErrorObject> | null {
  if (skip === undefined) {
    const bad = checkShape(data, { maxDepth: NO_DEPTH_LIMIT, finiteOnly: true })
    return bad === null ? null : errorFor(cxt, bad.path, bad.message)
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null
  // Only the keys no `properties`/`patternProperties` entry describes: the rest have their own schema.
  for (const [k, v] of Object.entries(data)) {
    if (skip(k)) continue
    const bad = checkShape(v, { maxDepth: NO_DEPTH_LIMIT, finiteOnly: true })
    if (bad !== null) return errorFor(cxt, toPointer([k]) + bad.path, bad.message)
  }
  return null
}

function errorFor(cxt: DataValidationCxt | undefined, rel: string, message: string): Partial<ErrorObject> {
  // Setting instancePath ourselves: ajv keeps it as given, so it must be the FULL pointer.
  return { keyword: 'finite', instancePath: `${cxt?.instancePath ?? ''}${rel}`, message, params: {} }
}

const deep: Validate = function deepFinite(_schema, data, _parent, cxt) {
  const err = refuseNonFinite(data, cxt)
  deep.errors = err === null ? [] : [err]
  return err === null
}

/** Known names and patterns per keyword value, built once: this runs on every heartbeat. */
const skippers = new WeakMap<object, (key: string) => boolean>()
function skipperFor(schema: { known: string[]; patterns: string[] }): (key: string) => boolean {
  let skip = skippers.get(schema)
  if (skip === undefined) {
    const known = new Set(schema.known)
    const res = schema.patterns.map((p) => new RegExp(p, 'u'))
    skip = (k) => known.has(k) || res.some((r) => r.test(k))
    skippers.set(schema, skip)
  }
  return skip
}

const extras: Validate = function extrasFinite(schema, data, _parent, cxt) {
  const err = refuseNonFinite(data, cxt, skipperFor(schema as { known: string[]; patterns: string[] }))
  extras.errors = err === null ? [] : [err]
  return err === null
}

const anyNumber: Validate = function anyNumberCheck(_schema, data, _parent, cxt) {
  const ok = typeof data === 'number'
  anyNumber.errors = ok
    ? []
    : [
        {
          keyword: 'type',
          instancePath: cxt?.instancePath ?? '',
          message: 'must be number',
          params: { type: 'number' },
        },
      ]
  return ok
}

export const NON_FINITE_KEYWORDS: KeywordDefinition[] = [
  { keyword: DEEP, schemaType: 'boolean', errors: true, validate: deep },
  { keyword: EXTRAS, schemaType: 'object', errors: true, validate: extras },
  { keyword: ALLOW_NON_FINITE, schemaType: 'boolean', errors: true, validate: anyNumber },
]

type Node = Record<string, unknown>
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Keywords that constrain a value's type or defer to another schema: a node with none is "anything". */
const CONSTRAINING = [
  'type',
  'const',
  'enum',
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  ALLOW_NON_FINITE,
]
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems']
// `not`, `contains`, `if` and `propertyNames` are left alone: adding a constraint inside them
// would change which data they match (a guarded `not` would ACCEPT Infinity).
const SCHEMA_ONE = [
  'additionalProperties',
  'additionalItems',
  'then',
  'else',
  'unevaluatedProperties',
  'unevaluatedItems',
]

/** A guarded copy of `schema` (the original is untouched: callers keep it for annotations such as x-apply). */
export function guardNonFinite(schema: AnySchema): AnySchema {
  if (typeof schema !== 'object') return guard(schema, true) as AnySchema
  // Same original, same copy: ajv caches compiled schemas by object, and a schema with an `$id`
  // compiled twice as two different objects would be refused as a duplicate id.
  let copy = guarded.get(schema)
  if (copy === undefined) {
    copy = guard(schema, true) as AnySchema
    guarded.set(schema, copy)
  }
  return copy
}
const guarded = new WeakMap<object, AnySchema>()

function guard(schema: unknown, inSchemaPosition: boolean): unknown {
  if (schema === true && inSchemaPosition) return { [DEEP]: true }
  if (!isNode(schema)) return schema
  if (schema[ALLOW_NON_FINITE] === true) return schema
  const out: Node = { ...schema }
  for (const k of SCHEMA_MAPS) {
    const m = schema[k]
    if (isNode(m)) out[k] = Object.fromEntries(Object.entries(m).map(([n, s]) => [n, guard(s, true)]))
  }
  for (const k of SCHEMA_LISTS) {
    const l = schema[k]
    if (Array.isArray(l)) out[k] = l.map((s) => guard(s, true))
  }
  for (const k of SCHEMA_ONE) {
    // `additionalProperties: true` stays true: turning it into a schema would mark every key
    // "evaluated" and silence an outer `unevaluatedProperties: false`. The extras guard covers it.
    if (k in schema && schema[k] !== true) out[k] = guard(schema[k], true)
  }
  if ('items' in schema)
    out['items'] = Array.isArray(schema['items'])
      ? (schema['items'] as unknown[]).map((s) => guard(s, true))
      : guard(schema['items'], true)
  if (
    !CONSTRAINING.some((k) => k in schema) &&
    !SCHEMA_MAPS.some((k) => k in schema) &&
    !('items' in schema)
  ) {
    out[DEEP] = true
    return out
  }
  const types = Array.isArray(schema['type']) ? (schema['type'] as unknown[]) : [schema['type']]
  const open = schema['additionalProperties'] === undefined || schema['additionalProperties'] === true
  if ((types.includes('object') || isNode(schema['properties'])) && open && !mentionsAllow(schema)) {
    out[EXTRAS] = {
      known: isNode(schema['properties']) ? Object.keys(schema['properties']) : [],
      patterns: isNode(schema['patternProperties']) ? Object.keys(schema['patternProperties']) : [],
    }
  }
  if (types.includes('array') && !('items' in schema) && !('prefixItems' in schema)) out[DEEP] = true
  return out
}

function mentionsAllow(schema: unknown): boolean {
  const stack: unknown[] = [schema]
  while (stack.length > 0) {
    const v = stack.pop()
    if (!isNode(v) && !Array.isArray(v)) continue
    if (isNode(v) && v[ALLOW_NON_FINITE] === true) return true
    for (const c of Object.values(v)) stack.push(c)
  }
  return false
}
