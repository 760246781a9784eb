// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import importX from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import local, { importXSettings } from './eslint-rules/code-layering.js'

/**
 * Layering (DESIGN.md §2), in the spirit of VS Code's code-layering rule: each folder names what
 * it may import, and everything else is an error.
 */
const layer = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })
const NO_ELECTRON = { group: ['electron', 'electron/*'], message: 'electron/core is pure Node: no Electron here.' }
const NO_RENDERER = { group: ['**/renderer/**'], message: 'Only the renderer imports renderer code.' }
const NO_NODE = {
  group: ['node:*', 'fs', 'path', 'child_process', 'os', 'net', 'http', 'dockerode', 'ioredis', 'ws'],
  message: 'The renderer runs in a browser: no Node modules.',
}

export default tseslint.config(
  { ignores: ['scripts/*.d.mts', 'eslint-rules/*.d.ts', 'out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.testenv/**', '.helpers/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The allow-list (eslint-rules/code-layering.js, table in docs/architecture.md §2) and no cycles.
    files: ['electron/**/*.ts', 'renderer/**/*.{ts,tsx}'],
    plugins: { local, 'import-x': importX },
    settings: importXSettings(createTypeScriptImportResolver({ project: ['./tsconfig.node.json', './tsconfig.web.json'], noWarnOnMultipleProjects: true })),
    rules: {
      'local/code-layering': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  { files: ['electron/core/**/*.ts'], ignores: ['**/*.test.ts'], rules: layer([NO_ELECTRON, NO_RENDERER]) },
  { files: ['electron/server/**/*.ts', 'electron/cli/**/*.ts'], ignores: ['**/*.test.ts'], rules: layer([NO_ELECTRON, NO_RENDERER]) },
  { files: ['electron/main/**/*.ts'], ignores: ['**/*.test.ts'], rules: layer([NO_RENDERER]) },
  {
    // The sandboxed preload may use `electron` and the contract's types; its only runtime import
    // from core is the constants file of IPC channel names.
    files: ['electron/preload/**/*.ts'],
    rules: layer([
      NO_RENDERER,
      {
        regex: '^(\\.\\./core/(?!api/ipc-channels$)|@core/)',
        message: 'Preload imports contract types and ipc-channels only.',
        allowTypeImports: true,
      },
    ]),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // zustand actions are closures, not `this`-bound methods.
      '@typescript-eslint/unbound-method': 'off',
      ...layer([
        NO_NODE,
        // One runtime import from core: the wire protocol's constants (plain values), for the client.
        {
          regex: '^@core/(?!api/wire$)|(^|/)electron/(core|main|server)/',
          message: 'The renderer imports contract types only (via @contract), and the wire constants from @core/api/wire.',
          allowTypeImports: true,
        },
      ]),
    },
  },
  { files: ['schemas/**'], rules: { 'no-restricted-imports': ['error', { patterns: ['*'] }] } },
)
