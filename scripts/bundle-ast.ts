/**
 * Reads a built JavaScript bundle as a syntax tree, for checks that must see what ships rather than
 * the TypeScript it came from. Comments and strings in comments never match (a text grep would
 * count a doc comment that mentions `shell.openExternal` as a call).
 *
 * The evaluator folds the constant shapes rolldown emits for our modules: literals, templates of
 * constants, arrays, objects, spreads and `Object.freeze(...)` of those, and identifiers bound by a
 * top-level `var`/`const`. Anything else evaluates to `UNKNOWN`, which the checks treat as a failure.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import ts from 'typescript'

export const UNKNOWN = Symbol('unknown')

export interface Bundle {
  file: string
  source: ts.SourceFile
  /** Top-level `var`/`let`/`const` initialisers by name. */
  bindings: Map<string, ts.Expression>
}

export function parseBundle(file: string): Bundle {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.JS,
  )
  const bindings = new Map<string, ts.Expression>()
  for (const st of source.statements) {
    if (!ts.isVariableStatement(st)) continue
    for (const d of st.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer) bindings.set(d.name.text, d.initializer)
    }
  }
  return { file, source, bindings }
}

/** The entry and every bundle file it imports through relative specifiers (chunks), parsed. */
export function parseBundleGraph(entry: string): Bundle[] {
  const seen = new Map<string, Bundle>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const b = parseBundle(file)
    seen.set(file, b)
    for (const st of b.source.statements) {
      if (
        ts.isImportDeclaration(st) &&
        ts.isStringLiteral(st.moduleSpecifier) &&
        st.moduleSpecifier.text.startsWith('.')
      ) {
        visit(resolve(dirname(file), st.moduleSpecifier.text))
      }
    }
  }
  visit(entry)
  return [...seen.values()]
}

export function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node)
  node.forEachChild((c) => walk(c, visit))
}

export function findAll<T extends ts.Node>(root: ts.Node, guard: (n: ts.Node) => n is T): T[] {
  const out: T[] = []
  walk(root, (n) => {
    if (guard(n)) out.push(n)
  })
  return out
}

/** The called name: `foo(...)` → `foo`, `a.b.foo(...)` → `foo`. */
export function calleeName(call: ts.CallExpression | ts.NewExpression): string | null {
  const e = call.expression
  if (ts.isIdentifier(e)) return e.text
  if (ts.isPropertyAccessExpression(e)) return e.name.text
  return null
}

export function callsNamed(root: ts.Node, name: string): ts.CallExpression[] {
  return findAll(root, ts.isCallExpression).filter((c) => calleeName(c) === name)
}

export function propertyName(p: ts.ObjectLiteralElementLike): string | null {
  if (!p.name) return null
  if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) return p.name.text
  return null
}

/** Folds a constant expression, or returns UNKNOWN. */
export function evaluate(b: Bundle, e: ts.Expression, depth = 0): unknown {
  if (depth > 20) return UNKNOWN
  const ev = (x: ts.Expression) => evaluate(b, x, depth + 1)
  if (ts.isParenthesizedExpression(e)) return ev(e.expression)
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text
  if (ts.isNumericLiteral(e)) return Number(e.text)
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false
  if (e.kind === ts.SyntaxKind.NullKeyword) return null
  if (ts.isIdentifier(e)) {
    const init = b.bindings.get(e.text)
    return init ? ev(init) : UNKNOWN
  }
  if (ts.isTemplateExpression(e)) {
    let s = e.head.text
    for (const span of e.templateSpans) {
      const v = ev(span.expression)
      if (typeof v !== 'string' && typeof v !== 'number') return UNKNOWN
      s += String(v) + span.literal.text
    }
    return s
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const l = ev(e.left)
    const r = ev(e.right)
    return typeof l === 'string' && typeof r === 'string' ? l + r : UNKNOWN
  }
  if (ts.isArrayLiteralExpression(e)) {
    const out: unknown[] = []
    for (const el of e.elements) {
      if (ts.isSpreadElement(el)) {
        const v = ev(el.expression)
        if (!Array.isArray(v)) return UNKNOWN
        out.push(...(v as unknown[]))
      } else {
        const v = ev(el)
        if (v === UNKNOWN) return UNKNOWN
        out.push(v)
      }
    }
    return out
  }
  if (ts.isObjectLiteralExpression(e)) {
    const out: Record<string, unknown> = {}
    for (const p of e.properties) {
      if (ts.isSpreadAssignment(p)) {
        const v = ev(p.expression)
        if (typeof v !== 'object' || v === null) return UNKNOWN
        Object.assign(out, v)
      } else if (ts.isPropertyAssignment(p)) {
        const name = propertyName(p)
        const v = ev(p.initializer)
        if (name === null || v === UNKNOWN) return UNKNOWN
        out[name] = v
      } else {
        return UNKNOWN
      }
    }
    return out
  }
  if (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    e.expression.getText() === 'Object.freeze'
  ) {
    const [arg] = e.arguments
    return arg ? ev(arg) : UNKNOWN
  }
  return UNKNOWN
}

/** The nearest enclosing function (declaration, expression or arrow) of a node. */
export function enclosingFunction(n: ts.Node): ts.FunctionLikeDeclaration | null {
  for (let p = n.parent; p; p = p.parent) {
    if (
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isArrowFunction(p) ||
      ts.isMethodDeclaration(p)
    )
      return p
  }
  return null
}

/** Names of every function called anywhere inside `n`. */
export function calledNames(n: ts.Node): Set<string> {
  const out = new Set<string>()
  for (const c of findAll(n, ts.isCallExpression)) {
    const name = calleeName(c)
    if (name) out.add(name)
  }
  return out
}
