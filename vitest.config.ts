import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

const alias = {
  '@core': resolve(import.meta.dirname, 'electron/core'),
  '@contract': resolve(import.meta.dirname, 'electron/core/api/contract/index.ts'),
}

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['electron/**/*.test.ts', 'renderer/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['electron/**/*.int.test.ts'],
          // Integration tests share one private dockerd and Redis; running files one at a time
          // keeps 2 cores from timing out container operations.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
