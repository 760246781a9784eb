import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The file-naming convention of docs/architecture.md §5, checked over the whole tree so it cannot
 * drift: a `.tsx` file named for the one React component it exports is PascalCase (StackView.tsx);
 * every other file is kebab-case (stack-service.ts, inputs.tsx, main.tsx).
 */
const ROOT = join(import.meta.dirname, '..')
const SKIP = new Set(['node_modules', 'out', 'dist', 'release', '.git', 'build'])

function sources(dir: string, acc: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) sources(p, acc)
    else if (/\.(ts|tsx|js|mjs|cjs|mts)$/.test(name)) acc.push(p)
  }
  return acc
}

const stem = (file: string) => basename(file).replace(/(\.d)?(\.int)?(\.test|\.spec)?\.(ts|tsx|js|mjs|cjs|mts)$/, '')
// A dotted role suffix is allowed where a tool names it so: eslint.config.js, workflow.steps.ts.
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z]+)*$/
const PASCAL = /^[A-Z][A-Za-z0-9]*$/

export function namingProblem(file: string, text: string): string | null {
  const s = stem(file)
  if (KEBAB.test(s)) return null
  if (!PASCAL.test(s)) return `${s} is neither kebab-case nor a PascalCase component name`
  if (!/\.tsx$/.test(file)) return `${s} is PascalCase but not a .tsx component file`
  if (!new RegExp(`export (default )?(function|const|class) ${s}\\b`).test(text)) return `${s}.tsx does not export a component named ${s}`
  return null
}

describe('file names', () => {
  it('the rule accepts the two shapes and names what is wrong with anything else', () => {
    expect(namingProblem('a/stack-service.ts', '')).toBeNull()
    expect(namingProblem('a/StackView.tsx', 'export function StackView() {}')).toBeNull()
    expect(namingProblem('a/StackView.tsx', 'export function Other() {}')).toMatch(/does not export a component named StackView/)
    expect(namingProblem('a/StackService.ts', '')).toMatch(/not a \.tsx component file/)
    expect(namingProblem('a/stack_service.ts', '')).toMatch(/neither kebab-case/)
  })

  it('every source file in the repository follows the convention', () => {
    const files = sources(ROOT)
    expect(files.length).toBeGreaterThan(100)
    const problems = files.map((f) => [relative(ROOT, f), namingProblem(f, readFileSync(f, 'utf8'))]).filter(([, p]) => p !== null)
    expect(problems).toEqual([])
  })
})
