/**
 * The lint rules that keep the layers apart (eslint-rules/code-layering.js, docs/architecture.md §2):
 * a deliberate bad import in each direction fails, the allowed ones pass, and import-x/no-cycle,
 * with the settings eslint.config.js uses, finds a real cycle between two files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ESLint, RuleTester } from 'eslint'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'
import { afterAll, describe, expect, it } from 'vitest'
import { codeLayering, importXSettings, layerOf } from '../eslint-rules/code-layering.js'

const ROOT = resolve(import.meta.dirname, '..')
const at = (rel: string) => join(ROOT, rel)

RuleTester.describe = describe
RuleTester.it = it
RuleTester.itOnly = it.only
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' } })
const bad = (rel: string, code: string) => ({ filename: at(rel), code, errors: [{ message: /^Layering: / }] })
const good = (rel: string, code: string) => ({ filename: at(rel), code })

describe('layers', () => {
  it('are read from the path', () => {
    expect(layerOf('electron/core/api/contract/stack.ts')).toBe('contract')
    expect(layerOf('electron/core/api/dispatcher.ts')).toBe('api')
    expect(layerOf('electron/core/stack/reload.ts')).toBe('domain:stack')
    expect(layerOf('electron/core/wiring/create-core.ts')).toBe('root')
    expect(layerOf('electron/core/shared/durable-file.ts')).toBe('shared')
    expect(layerOf('electron/core/api/wire.ts')).toBe('wire')
    expect(layerOf('renderer/src/components/Toasts.tsx')).toBe('ui:components')
    expect(layerOf('renderer/src/features/config/ConfigView.tsx')).toBe('feature:config')
    // Test code is its own layer, wherever it sits: next to the source or in the test-support/ harness.
    expect(layerOf('electron/core/stack/reload.test.ts')).toBe('test')
    expect(layerOf('test-support/api-harness.ts')).toBe('test')
    expect(layerOf('test-support/supervise/harness.ts')).toBe('test')
    expect(layerOf('scripts/gen-schemas.ts')).toBeNull()
  })
})

tester.run('code-layering', codeLayering, {
  valid: [
    good('electron/core/api/contract/stack.ts', "import { ev } from '../define'\nimport { CoreError } from '../../errors'"),
    good('electron/core/stack/reload.ts', "import type { X } from '../api/contract/stack'\nimport { CoreError } from '../errors'\nimport { EventHub } from '../event-hub'"),
    good('electron/core/state/fact.ts', "import type { StackSnapshot } from '../stack/types'"),
    good('electron/core/wiring/create-core.ts', "import { StackService } from '../stack/stack-service'"),
    // Every domain may use the shared pieces.
    good('electron/core/workflow/journal.ts', "import { replaceFileDurably } from '../shared/durable-file'"),
    good('electron/core/supervise/supervisor.ts', "import { systemClock } from '@core/shared/clock'"),
    good('electron/server/host.ts', "import { createCore } from '@core/wiring/create-core'"),
    good('electron/preload/index.ts', "import { IPC } from '../core/api/ipc-channels'\nimport type { Envelope } from '../core/api/contract'"),
    good('renderer/src/features/stack/StackView.tsx', "import type { StackSnapshot } from '@contract'\nimport { Toasts } from '../../components/Toasts'"),
    good('renderer/src/store/safety.ts', "import { api } from '../api/client'"),
    // The wire protocol's constants are shared by the host, the CLI and the renderer's client.
    good('renderer/src/api/ws-client.ts', "import { WS_PROTOCOL } from '@core/api/wire'"),
    good('electron/cli/client.ts', "import { WS_PROTOCOL } from '../core/api/wire'"),
    good('electron/server/ws-door.ts', "import { WS_PROTOCOL } from '@core/api/wire'"),
    // Tests import anything: the harness, the composition root, any domain.
    good('electron/core/supervise/supervisor-audit.test.ts', "import { createHarness } from '../../../test-support/supervise/harness'\nimport { createCore } from '../wiring/create-core'"),
    good('test-support/supervise/harness.ts', "import { Supervisor } from '../../electron/core/supervise/supervisor'"),
  ],
  invalid: [
    // The contract uses only errors: no domain code.
    bad('electron/core/api/contract/stack.ts', "import { OUTCOMES } from '../../stack/types'"),
    // A domain may name another domain's types, never run its code.
    bad('electron/core/state/safety-model.ts', "import { parseFlagRecord } from '../schedule/redis-trading-flag'"),
    // Core never reaches the doors or the shell.
    bad('electron/core/stack/reload.ts', "import { startHost } from '../../server/host'"),
    bad('electron/core/workflow/journal.ts', "import type { Window } from '../../main/window'"),
    bad('electron/core/config/config-service.ts', "import { run } from '../../cli/run'"),
    // A shared piece knows no domain and no contract: it is below them all.
    bad('electron/core/shared/durable-file.ts', "import { ioError } from '../config/config-writer'"),
    bad('electron/core/shared/durable-file.ts', "import type { JournalRecord } from '../workflow/journal'"),
    bad('electron/core/shared/clock.ts', "import { operations } from '../api/contract'"),
    // Nothing in core imports the composition root.
    bad('electron/core/bus/ingest.ts', "import { createCore } from '../wiring/create-core'"),
    // The renderer's shared parts never import a feature.
    bad('renderer/src/components/HeaderStatus.tsx', "import { TradingChip } from '../features/schedule/TradingChip'"),
    bad('renderer/src/store/safety.ts', "import { useStack } from '../features/stack/use-stack'"),
    // The renderer runs no core code, through a relative path or an alias.
    bad('renderer/src/features/stack/StackView.tsx', "import { normalizeSignal } from '@core/stack/signals'"),
    bad('renderer/src/lib/format.ts', "import { CoreError } from '../../../electron/core/errors'"),
    // Only the renderer's client speaks the wire; the wire module imports nothing.
    bad('renderer/src/features/stack/StackView.tsx', "import { WS_PATH } from '@core/api/wire'"),
    bad('electron/core/api/wire.ts', "import { operations } from './contract'"),
    // The CLI is a client over the wire.
    bad('electron/cli/commands.ts', "import { StackService } from '../core/stack/stack-service'"),
    // The preload's one runtime import from core is the channel list.
    bad('electron/preload/index.ts', "import { createDispatcher } from '../core/api/dispatcher'"),
    // No product code imports test code, so none of it is bundled.
    bad('electron/core/supervise/supervisor.ts', "import { StandInStack } from '../../../test-support/supervise/stand-ins'"),
    bad('electron/server/host.ts', "import type { ApiHost } from '../../test-support/api-harness'"),
    bad('renderer/src/features/monitor/agent-order.ts', "import { makeAgent } from '../../../../test-support/renderer/test-agents'"),
  ],
})

describe('import-x/no-cycle with the project settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-lint-cycle-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('finds a cycle between two TypeScript files, and none once it is broken', async () => {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b'\nexport const a = (): number => b\n")
    writeFileSync(join(dir, 'b.ts'), "import { a } from './a'\nexport const b = 1\nexport const c = (): number => a()\n")
    writeFileSync(join(dir, 'c.ts'), "import { b } from './b'\nexport const d = (): number => b\n")
    const eslint = new ESLint({
      cwd: dir,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { 'import-x': importX },
          settings: importXSettings(createTypeScriptImportResolver()),
          rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
        },
      ],
    })
    const results = await eslint.lintFiles(['a.ts', 'c.ts'])
    const byFile = Object.fromEntries(results.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => m.ruleId)]))
    expect(byFile['a.ts']).toEqual(['import-x/no-cycle'])
    expect(byFile['c.ts']).toEqual([])
  })
})

describe('eslint.config.js', () => {
  it('turns both rules on for core, the doors and the renderer', async () => {
    const eslint = new ESLint({ cwd: ROOT })
    for (const f of ['electron/core/stack/reload.ts', 'electron/server/host.ts', 'renderer/src/App.tsx']) {
      const cfg = (await eslint.calculateConfigForFile(at(f))) as { rules: Record<string, unknown> }
      expect(cfg.rules['local/code-layering'], f).toEqual([2])
      const cycle = cfg.rules['import-x/no-cycle'] as [number, { ignoreExternal?: boolean }]
      expect(cycle[0], f).toBe(2)
      expect(cycle[1].ignoreExternal, f).toBe(true)
    }
  })
})
