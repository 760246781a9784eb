// @ts-check
/**
 * Layering as an allow-list (docs/architecture.md §2), after VS Code's
 * `.eslint-plugin-local/code-layering.ts`: every source file belongs to one layer, each layer names
 * the layers it may import, and an import that resolves (relative, `@core/*`, `@contract`) to a
 * layer not on that list is an error. Type-only imports get a second, wider list: a domain may
 * name another domain's types, never run its code.
 *
 * The table lives in LAYERS below and is quoted in docs/architecture.md; eslint-rules/code-layering.test.ts
 * proves that a bad import in each direction fails.
 */
import { existsSync } from 'node:fs'
import { dirname, relative, resolve, sep } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
/** The layer of test code: it imports anything, and nothing in the product imports it. */
export const TEST = 'test'
const DOMAINS = ['audit', 'bus', 'config', 'runs', 'schedule', 'services', 'settings', 'stack', 'state', 'store', 'supervise', 'workflow']

/**
 * Repo-relative POSIX path → layer id; 'test' for test code (specs, fixtures, the test-support/
 * harness), null for files outside the layered tree (scripts, bench, configs…). Test code may import
 * anything; no product layer may import test code, so none of it ships in the build.
 */
export function layerOf(rel) {
  const p = rel.split(sep).join('/')
  if (/\.(test|spec)\.tsx?$/.test(p) || p.includes('/__fixtures__/') || p.startsWith('test-support/')) return TEST
  let m
  if (p === 'electron/core/errors.ts') return 'errors'
  // call-context.ts is contract vocabulary (who called, through which door), not API machinery.
  // The wire protocol's constants: plain values the renderer's client and the CLI take at run time.
  if (p === 'electron/core/api/wire.ts') return 'wire'
  if (['electron/core/api/define.ts', 'electron/core/api/call-context.ts'].includes(p) || p.startsWith('electron/core/api/contract/')) return 'contract'
  if (p.startsWith('electron/core/api/')) return 'api'
  if (p === 'electron/core/event-hub.ts') return 'hub'
  if (p.startsWith('electron/core/shared/')) return 'shared'
  if ((m = /^electron\/core\/([^/]+)\//.exec(p)) && DOMAINS.includes(m[1])) return `domain:${m[1]}`
  if (p.startsWith('electron/core/wiring/')) return 'root'
  if (p.startsWith('electron/core/')) return 'root'
  if ((m = /^electron\/(server|cli|main|preload)\//.exec(p))) return m[1]
  if ((m = /^renderer\/src\/features\/([^/]+)\//.exec(p))) return `feature:${m[1]}`
  if ((m = /^renderer\/src\/(components|store|lib|api)\//.exec(p))) return `ui:${m[1]}`
  if (p.startsWith('renderer/src/')) return 'ui-root'
  return null
}

const CORE_SHARED = ['contract', 'api', 'errors', 'hub', 'shared', 'wire']
const UI_SHARED = ['ui:components', 'ui:store', 'ui:lib', 'ui:api']

/**
 * For each layer: `value` — layers it may import code from; `type` — extra layers it may import
 * types from. A function gets the importing layer (for "its own domain").
 */
export const LAYERS = {
  errors: { value: ['errors'] },
  contract: { value: ['contract', 'errors'] },
  api: { value: ['contract', 'api', 'errors'] },
  wire: { value: ['wire'] },
  hub: { value: ['hub', 'errors'], type: ['contract'] },
  // Cross-cutting mechanisms every domain may use (durable file writes, the clock): no domain, no contract.
  shared: { value: ['shared', 'errors'] },
  domain: { value: (own) => [own, ...CORE_SHARED], type: () => DOMAINS.map((d) => `domain:${d}`) },
  // The composition root wires every domain together; nothing in core imports it back.
  root: { value: ['root', ...CORE_SHARED, ...DOMAINS.map((d) => `domain:${d}`)] },
  server: { value: ['server', 'root', ...CORE_SHARED, ...DOMAINS.map((d) => `domain:${d}`)] },
  main: { value: ['main', 'server', 'root', ...CORE_SHARED, ...DOMAINS.map((d) => `domain:${d}`)] },
  // The CLI is a client of the contract over the wire: no core code runs in it.
  cli: { value: ['cli', 'contract', 'api', 'errors', 'wire'], type: DOMAINS.map((d) => `domain:${d}`) },
  // The sandboxed preload: the IPC channel names at run time, the contract's types otherwise.
  preload: { value: ['preload'], type: ['contract', 'api'] },
  // The renderer's client names the preload bridge's types (what window.stackdeck exposes), and
  // speaks the host's wire protocol with its constants (api/wire.ts, plain values).
  ui: { value: (own) => [own, ...UI_SHARED, ...(own === 'ui:api' ? ['wire'] : [])], type: ['contract', 'api', 'errors', 'preload'] },
  feature: { value: (own) => [own, ...UI_SHARED, 'feature:*'], type: ['contract', 'api', 'errors'] },
  'ui-root': { value: ['ui-root', ...UI_SHARED, 'feature:*'], type: ['contract', 'api', 'errors'] },
}

/** The one runtime import the preload may make from core. */
const PRELOAD_VALUE_EXCEPTION = 'electron/core/api/ipc-channels.ts'

function allowed(from, to, typeOnly, targetRel) {
  const kind = from.includes(':') ? from.slice(0, from.indexOf(':')) : from
  const def = LAYERS[kind]
  if (!def) return true
  const list = (x) => (typeof x === 'function' ? x(from) : (x ?? []))
  const match = (l) => l === to || (l.endsWith(':*') && to.startsWith(l.slice(0, -1)))
  if (list(def.value).some(match)) return true
  if (from === 'preload' && targetRel === PRELOAD_VALUE_EXCEPTION) return true
  return typeOnly && list(def.type).some(match)
}

function resolveSpecifier(spec, file) {
  let base
  if (spec.startsWith('.')) base = resolve(dirname(file), spec)
  else if (spec === '@contract') base = resolve(ROOT, 'electron/core/api/contract/index.ts')
  else if (spec.startsWith('@core/')) base = resolve(ROOT, 'electron/core', spec.slice('@core/'.length))
  else return null
  base = base.replace(/\.js$/, '')
  const hit = ['', '.ts', '.tsx', '/index.ts', '/index.tsx'].map((e) => base + e).find((c) => /\.tsx?$/.test(c) && existsSync(c))
  // Unresolved (TypeScript reports it): judge by the spelled path.
  return relative(ROOT, hit ?? `${base}.ts`).split(sep).join('/')
}

/** @type {import('eslint').Rule.RuleModule} */
export const codeLayering = {
  meta: {
    type: 'problem',
    docs: { description: 'Each layer imports only the layers docs/architecture.md §2 allows it.' },
    schema: [],
  },
  create(context) {
    const file = context.filename
    const rel = relative(ROOT, file).split(sep).join('/')
    const from = layerOf(rel)
    if (from === null || from === TEST) return {}
    const check = (node, spec, typeOnly) => {
      if (typeof spec !== 'string') return
      const target = resolveSpecifier(spec, file)
      if (target === null) return
      const to = layerOf(target)
      if (to === TEST) {
        context.report({ node, message: `Layering: ${from} may not import test code (${spec}). See docs/architecture.md §2.` })
        return
      }
      if (to === null || allowed(from, to, typeOnly, target)) return
      context.report({
        node,
        message: `Layering: ${from} may not import ${typeOnly ? 'types from ' : ''}${to} (${spec}). See docs/architecture.md §2.`,
      })
    }
    const isTypeOnly = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'))
    return {
      ImportDeclaration: (node) => check(node, node.source.value, isTypeOnly(node)),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, isTypeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, false),
      TSImportType: (node) => {
        const arg = node.argument?.literal ?? node.argument
        if (arg && arg.type === 'Literal') check(node, arg.value, true)
      },
    }
  },
}

/** import-x settings for TypeScript. Without the extensions and parser, import-x parses only .js files and no-cycle silently finds nothing. */
export function importXSettings(resolver) {
  return {
    'import-x/resolver-next': [resolver],
    'import-x/extensions': ['.ts', '.tsx'],
    'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
  }
}

export default { rules: { 'code-layering': codeLayering } }
