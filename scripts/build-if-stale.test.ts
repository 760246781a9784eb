import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { buildIfStale, OUTPUTS, sourceFiles, staleness } from './build-if-stale.mjs'

let root: string
const put = (rel: string, text = 'x') => {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), text)
}

/** A checkout in miniature: sources, config files, and the outputs a build leaves. */
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'stackdeck-stale-'))
  put('package.json', '{"name":"x"}')
  put('tsconfig.node.json', '{}')
  put('electron.vite.config.ts', 'export default {}')
  put('electron/server/host.ts', 'export const a = 1')
  put('renderer/src/App.tsx', 'export const App = 1')
  put('schemas/settings.schema.json', '{}')
  for (const f of OUTPUTS) put(f, 'built')
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

/** Runs buildIfStale with a stand-in build; answers whether it built. */
function run(status = 0): boolean {
  let built = false
  buildIfStale(root, {
    build: () => {
      built = true
      return status
    },
    log: () => undefined,
  })
  return built
}

it('builds the first time (no stamp), then not again while nothing changed', () => {
  expect(staleness(root)).toMatchObject({ stale: true, reason: 'no build stamp yet' })
  expect(run()).toBe(true)
  expect(staleness(root).stale).toBe(false)
  expect(run()).toBe(false)
})

it.each([
  ['an edited core file', 'electron/server/host.ts'],
  ['a new renderer file', 'renderer/src/components/New.tsx'],
  ['a schema', 'schemas/settings.schema.json'],
  ['package.json', 'package.json'],
  ['a tsconfig', 'tsconfig.node.json'],
  ['the build config', 'electron.vite.config.ts'],
  ['the plugin the build config imports', 'scripts/exec-bit-plugin.ts'],
])('builds again after a change to %s', (_what, file) => {
  run()
  put(file, 'changed')
  expect(staleness(root)).toMatchObject({ stale: true, reason: 'sources changed since the last build' })
  expect(run()).toBe(true)
  expect(run()).toBe(false)
})

it('builds again when a file is removed or renamed', () => {
  put('electron/core/old.ts', 'export {}')
  run()
  rmSync(join(root, 'electron/core/old.ts'))
  expect(staleness(root).stale).toBe(true)
})

it('goes by content, not by mtime: rewriting the same bytes does not build', () => {
  run()
  put('electron/server/host.ts', 'export const a = 1')
  expect(staleness(root).stale).toBe(false)
})

it('ignores what never reaches the bundle: tests, specs, fixtures, dot files, other scripts', () => {
  run()
  put('electron/server/host.test.ts', 'test')
  put('electron/server/host.int.test.ts', 'test')
  put('renderer/src/a.spec.ts', 'spec')
  put('electron/core/__fixtures__/x.json', '{}')
  put('electron/.cache/x', 'x')
  put('scripts/demo.sh', 'echo')
  put('README.md', 'docs')
  expect(staleness(root).stale).toBe(false)
  expect(sourceFiles(root)).not.toContain('electron/server/host.test.ts')
})

it('builds when an output is missing, whatever the stamp says', () => {
  run()
  rmSync(join(root, 'out/main/cli.js'))
  expect(staleness(root)).toMatchObject({ stale: true, reason: 'out/main/cli.js is missing' })
})

it('a failed build writes no stamp, so the next start tries again', () => {
  expect(run(1)).toBe(true)
  expect(staleness(root)).toMatchObject({ stale: true, reason: 'no build stamp yet' })
})

it('stamps the sources as they were when the build started, so an edit during the build is not lost', () => {
  buildIfStale(root, {
    build: () => {
      put('electron/server/host.ts', 'saved while building')
      return 0
    },
    log: () => undefined,
  })
  expect(staleness(root).stale).toBe(true)
})
