/**
 * The config schema: loaded from a path (users may bring their own), compiled once, recompiled
 * when the file changes (mtime/size/inode). Validation errors come back as JSON pointers with a
 * message a trader can act on; the caller maps pointers to lines.
 */
import { readFile, stat } from 'node:fs/promises'
import type { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv'
import { createAjv, nonFiniteTypeError } from '../api/ajv'
import { describeNonFinite } from '../api/bounded-shape'
import { CoreError } from '../errors'

export type ApplyHint = 'hot' | 'restart' | 'unknown'

export interface SchemaIssue {
  /** JSON pointer of the offending value (or of the missing/unknown key). */
  path: string
  message: string
}

interface Compiled {
  key: string
  schema: AnySchemaObject
  validate: ValidateFunction
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

function compilerFor(schema: AnySchemaObject) {
  const is2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12')
  // verbose: the humanizer reads `title` of the failing node ("a time HH:MM"). Both flavours come
  // from createAjv so they share its number rules: `breakout_pct = inf` is refused unless the
  // schema marks that key `x-allow-non-finite`.
  const ajv = createAjv({ verbose: true }, { draft: is2020 ? '2020' : '07' })
  ajv.addFormat('iana-timezone', { type: 'string', validate: isValidTimeZone })
  return ajv
}

export class SchemaStore {
  private compiled: Compiled | null = null

  constructor(readonly schemaPath: string) {}

  /** The schema object and its validator, recompiled if the file changed since last time. */
  async get(): Promise<{ schema: AnySchemaObject; validate: ValidateFunction }> {
    let key: string
    try {
      const st = await stat(this.schemaPath)
      key = `${st.ino}:${st.size}:${st.mtimeMs}`
    } catch (err) {
      throw schemaIoError(this.schemaPath, err)
    }
    if (this.compiled?.key === key) return this.compiled
    let schema: AnySchemaObject
    try {
      schema = JSON.parse(await readFile(this.schemaPath, 'utf8')) as AnySchemaObject
    } catch (err) {
      if (err instanceof SyntaxError) {
        throw new CoreError('unavailable', `The config schema ${this.schemaPath} is not valid JSON: ${err.message}`, {
          path: this.schemaPath,
        })
      }
      throw schemaIoError(this.schemaPath, err)
    }
    try {
      const validate = compilerFor(schema).compile(schema)
      this.compiled = { key, schema, validate }
      return this.compiled
    } catch (err) {
      throw new CoreError(
        'unavailable',
        `The config schema ${this.schemaPath} is not a usable JSON Schema: ${(err as Error).message}`,
        { path: this.schemaPath, cause: err },
      )
    }
  }

  async validate(plain: unknown): Promise<SchemaIssue[]> {
    const { validate } = await this.get()
    return validate(plain) ? [] : humanizeErrors(validate.errors)
  }
}

function schemaIoError(path: string, err: unknown): CoreError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
  return new CoreError('io_error', `Cannot read the config schema ${path}: ${code}`, { path, cause: err })
}

const show = (v: unknown): string => {
  // JSON.stringify(Infinity) is "null": name the value the file actually holds.
  if (typeof v === 'number' && !Number.isFinite(v)) return describeNonFinite(v)
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)

/** ajv errors -> one {path, message} per problem, worded for a person rather than a validator. */
export function humanizeErrors(errors: ErrorObject[] | null | undefined): SchemaIssue[] {
  const out: SchemaIssue[] = []
  const seen = new Set<string>()
  // Errors of a propertyNames subschema carry `propertyName`; they only explain the name error.
  const nameRules = new Map<string, string>()
  for (const e of errors ?? []) {
    if (e.propertyName !== undefined && e.keyword === 'pattern') nameRules.set(e.propertyName, String(e.params['pattern']))
  }
  for (const e of errors ?? []) {
    if (e.propertyName !== undefined) continue
    const p = e.params as Record<string, unknown>
    const parent = (e.parentSchema ?? {}) as { title?: unknown }
    const title = typeof parent.title === 'string' ? parent.title : undefined
    let path = e.instancePath
    let message: string
    switch (e.keyword) {
      case 'required':
        path = `${path}/${String(p['missingProperty'])}`
        message = 'is required but missing'
        break
      case 'additionalProperties':
        path = `${path}/${String(p['additionalProperty'])}`
        message = 'is not a known setting here (misspelt, or in the wrong table?)'
        break
      case 'type': {
        const nf = nonFiniteTypeError(e)
        if (nf !== null) {
          message = nf
          break
        }
        const t = Array.isArray(p['type']) ? (p['type'] as string[]).join(' or ') : String(p['type'])
        message = `must be ${article(t)} (got ${show(e.data)})`
        break
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        message = `must be ${String(p['comparison'])} ${String(p['limit'])} (got ${show(e.data)})`
        break
      case 'enum':
        message = `must be one of ${(p['allowedValues'] as unknown[]).map(show).join(', ')} (got ${show(e.data)})`
        break
      case 'pattern':
      case 'format':
        message = `must be ${title ?? (e.keyword === 'format' ? `a valid ${String(p['format'])}` : `text matching ${String(p['pattern'])}`)} (got ${show(e.data)})`
        break
      case 'uniqueItems':
        message = `must not list the same value twice (items ${String(p['j'])} and ${String(p['i'])} are equal)`
        break
      case 'propertyNames': {
        const name = String(p['propertyName'])
        path = `${path}/${name}`
        const rule = nameRules.get(name)
        message = `is not a valid name here${rule ? ` (names must match ${rule})` : ''}`
        break
      }
      case 'if':
        continue
      default:
        message = e.message ?? 'is invalid'
    }
    const id = `${path}\u0000${message}`
    if (seen.has(id)) continue
    seen.add(id)
    out.push({ path: path || '/', message })
  }
  return out
}

// ---- x-apply lookup --------------------------------------------------------------------------------

type Node = Record<string, unknown>
const asNode = (v: unknown): Node | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : null)

function deref(root: Node, node: Node, depth = 0): Node {
  const ref = node['$ref']
  if (typeof ref !== 'string' || !ref.startsWith('#') || depth > 20) return node
  let cur: unknown = root
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    cur = asNode(cur)?.[seg]
  }
  const target = asNode(cur)
  return target ? deref(root, target, depth + 1) : node
}

/** The node plus its $ref target and allOf/anyOf/oneOf branches: everywhere a child may be described. */
function facets(root: Node, node: Node): Node[] {
  const out: Node[] = [node]
  const target = deref(root, node)
  if (target !== node) out.push(target)
  for (const n of [...out]) {
    for (const k of ['allOf', 'anyOf', 'oneOf']) {
      const list = n[k]
      if (Array.isArray(list)) for (const b of list) if (asNode(b)) out.push(...facets(root, b as Node))
    }
  }
  return out
}

function child(root: Node, node: Node, seg: string): Node | null {
  const isIndex = /^\d+$/.test(seg)
  for (const f of facets(root, node)) {
    const props = asNode(f['properties'])
    const byName = props ? asNode(props[seg]) : null
    if (byName) return byName
    const pats = asNode(f['patternProperties'])
    if (pats) {
      for (const [re, s] of Object.entries(pats)) {
        try {
          if (new RegExp(re, 'u').test(seg) && asNode(s)) return s as Node
        } catch {
          /* an invalid pattern cannot describe the key */
        }
      }
    }
    if (isIndex) {
      const i = Number(seg)
      const prefix = f['prefixItems'] ?? (Array.isArray(f['items']) ? f['items'] : undefined)
      if (Array.isArray(prefix) && asNode(prefix[i])) return prefix[i] as Node
      const items = asNode(f['items']) ?? asNode(f['additionalItems'])
      if (items) return items
    }
    const extra = asNode(f['additionalProperties'])
    if (extra && !isIndex) return extra
  }
  return null
}

function hintOf(root: Node, node: Node): ApplyHint | undefined {
  for (const f of facets(root, node)) {
    const h = f['x-apply']
    if (h === 'hot' || h === 'restart') return h
  }
  return undefined
}

/** x-apply of the schema node at `pointerSegments`, inheriting from the nearest enclosing node. */
export function applyHintAt(schema: unknown, pointerSegments: readonly string[]): ApplyHint {
  const root = asNode(schema)
  if (!root) return 'unknown'
  let node: Node | null = root
  let hint = hintOf(root, root)
  for (const seg of pointerSegments) {
    node = node ? child(root, node, seg) : null
    if (!node) break
    hint = hintOf(root, node) ?? hint
  }
  return hint ?? 'unknown'
}
