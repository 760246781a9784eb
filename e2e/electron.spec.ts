import { _electron as electron, expect, test } from '@playwright/test'
import { join, resolve } from 'node:path'
import { electronBinary } from '../scripts/electron-binary.mjs'

const ROOT = resolve(import.meta.dirname, '..')
const exe = electronBinary()
const display = process.platform !== 'linux' || !!(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY'])

// Say it in the run's output too: a reporter shows only a dash for a skipped test.
if (!exe) console.log('[e2e] SKIPPED real-Electron test: no Electron binary installed (its download needs GitHub).')
else if (!display) console.log('[e2e] SKIPPED real-Electron test: no display (run under xvfb-run).')

test.describe('real Electron binary', () => {
  test.skip(!exe, 'SKIPPED: no Electron binary installed (its download needs GitHub, unreachable here); the IPC door is covered by electron/main/ipc-adapter.test.ts')
  test.skip(!display, 'SKIPPED: Electron binary present but no display (set DISPLAY, e.g. under xvfb-run)')

  test('opens a sandboxed window that talks to the core over IPC', async () => {
    const app = await electron.launch({ executablePath: exe!, args: [join(ROOT, 'out/main/index.js')] })
    const win = await app.firstWindow()
    await expect(win.getByText('app: open')).toBeVisible()
    // No Node in the page, and the bridge exposes only the contract's named methods and events.
    const probe = await win.evaluate(() => {
      const g = globalThis as unknown as { require?: unknown; process?: unknown; stackdeck?: Record<string, unknown> }
      return { require: typeof g.require, process: typeof g.process, bridge: Object.keys(g.stackdeck ?? {}).sort() }
    })
    expect(probe).toEqual({ require: 'undefined', process: 'undefined', bridge: ['on', 'ops'] })
    await app.close()
  })
})
