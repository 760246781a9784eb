import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import { execBit } from './scripts/exec-bit-plugin'

const alias = {
  '@core': resolve(import.meta.dirname, 'electron/core'),
  '@contract': resolve(import.meta.dirname, 'electron/core/api/contract/index.ts'),
}

export default defineConfig({
  main: {
    resolve: { alias },
    // package.json's `bin`: runnable as ./out/main/cli.js and through `npm link`.
    plugins: [execBit(['cli.js'])],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // The Electron shell, the headless host and the CLI share one Node build; only `index`
        // imports `electron`, so `server` and `cli` run under plain Node.
        input: {
          index: resolve(import.meta.dirname, 'electron/main/index.ts'),
          server: resolve(import.meta.dirname, 'electron/server/main.ts'),
          cli: resolve(import.meta.dirname, 'electron/cli/main.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'electron/preload/index.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    resolve: { alias },
    plugins: [react()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: { input: resolve(import.meta.dirname, 'renderer/index.html') },
    },
  },
})
