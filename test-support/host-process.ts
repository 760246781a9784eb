import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export interface RunningHost {
  url: string
  token: string
  settingsPath: string
  proc: ChildProcess
  output: () => string
  stop(signal?: NodeJS.Signals): Promise<void>
}

const ROOT = resolve(import.meta.dirname, '..')

/**
 * Starts the real built headless host (`out/main/server.js`, as `npm run serve` does) on a free
 * port with the given settings, and waits for the line that prints its URL.
 */
export async function startHostProcess(
  settings: Record<string, unknown>,
  token = 'e2e-token-0123456789abcdef',
): Promise<RunningHost> {
  const dir = mkdtempSync(join(tmpdir(), 'stackdeck-e2e-'))
  const settingsPath = join(dir, 'settings.json')
  const merged = { ...settings, api: { port: 0, ...(settings['api'] as object | undefined) } }
  writeFileSync(settingsPath, JSON.stringify(merged, null, 2))
  const proc = spawn(process.execPath, [join(ROOT, 'out/main/server.js'), '--settings', settingsPath], {
    cwd: ROOT,
    env: { ...process.env, STACKDECK_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`host did not start:\n${out}`)), 30_000)
    const check = () => {
      const m = /headless host on (http:\/\/[^\s]+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        res(m[1])
      }
    }
    proc.stdout?.on('data', check)
    proc.on('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`host exited with ${code}:\n${out}`))
    })
  })
  return {
    url,
    token,
    settingsPath,
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return
      await new Promise<void>((r) => {
        proc.once('exit', () => r())
        proc.kill(signal)
      })
    },
  }
}
