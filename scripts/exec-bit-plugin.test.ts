import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { execBit } from './exec-bit-plugin'
import config from '../electron.vite.config'

let dir: string | null = null
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = null
})

const modeOf = (p: string) => statSync(p).mode & 0o777

it('chmods the named entry to 0755 after the write, and leaves other files alone', async () => {
  dir = mkdtempSync(join(tmpdir(), 'stackdeck-exec-bit-'))
  for (const f of ['cli.js', 'server.js']) writeFileSync(join(dir, f), '#!/usr/bin/env node\n', { mode: 0o644 })
  await execBit(['cli.js']).writeBundle({ dir }, { 'cli.js': {}, 'server.js': {} })
  expect(modeOf(join(dir, 'cli.js'))).toBe(0o755)
  expect(modeOf(join(dir, 'server.js'))).toBe(0o644)
})

it('does nothing for a bundle that did not write the file (the preload and renderer builds)', async () => {
  dir = mkdtempSync(join(tmpdir(), 'stackdeck-exec-bit-'))
  await expect(execBit(['cli.js']).writeBundle({ dir }, { 'index.cjs': {} })).resolves.toBeUndefined()
})

it('is in the main build of electron.vite.config.ts, for cli.js', () => {
  const main = (config as { main?: { plugins?: Array<{ name?: string }> } }).main
  expect(main?.plugins?.map((p) => p.name)).toContain('stackdeck-exec-bit')
})
