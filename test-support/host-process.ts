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
  /** null: no STACKDECK_TOKEN, so the host uses the token it keeps in settings.stateDir (read from its output). */
  fixedToken: string | null = 'e2e-token-0123456789abcdef',
): Promise<RunningHost> {
  const dir = mkdtempSync(join(tmpdir(), 'stackdeck-e2e-'))
  const settingsPath = join(dir, 'settings.json')
  const merged = withOwnState(settings, dir)
  writeFileSync(settingsPath, JSON.stringify(merged, null, 2))
  const proc = spawn(process.execPath, [join(ROOT, 'out/main/server.js'), '--settings', settingsPath], {
    cwd: ROOT,
    env: fixedToken === null ? withoutToken(process.env) : { ...process.env, STACKDECK_TOKEN: fixedToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`host did not start:\n${out}`)), 30_000)
    const check = () => {
      const m = /headless host on (http:\/\/[^\s]+)/.exec(out)
      // A host-kept token is printed on the line after the URL's.
      if (m?.[1] && (fixedToken !== null || /#token=\S+\n/.test(out))) {
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
  const printed = /#token=([A-Za-z0-9_-]+)/.exec(out)?.[1]
  const token = fixedToken ?? printed
  if (!token) throw new Error(`host printed no token URL:\n${out}`)
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

/**
 * Any free port, and a state directory of the host's own unless the test names one: each instance
 * locks its state directory, and a test host must neither collide with another nor write into the
 * machine user's ~/.local/state/stackdeck.
 */
function withOwnState(settings: Record<string, unknown>, dir: string): Record<string, unknown> {
  return { stateDir: join(dir, 'state'), ...settings, api: { port: 0, ...(settings['api'] as object | undefined) } }
}

function withoutToken(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env }
  delete rest['STACKDECK_TOKEN']
  return rest
}

/**
 * Starts the built headless host with `settings` and waits for it to EXIT (a host that must refuse
 * to start): its exit code and everything it printed. Fails when it is still running after timeoutMs.
 */
export function hostExitOf(
  settings: Record<string, unknown>,
  fixedToken: string | null = 'e2e-token-0123456789abcdef',
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'stackdeck-e2e-'))
  const settingsPath = join(dir, 'settings.json')
  writeFileSync(settingsPath, JSON.stringify(withOwnState(settings, dir), null, 2))
  const proc = spawn(process.execPath, [join(ROOT, 'out/main/server.js'), '--settings', settingsPath], {
    cwd: ROOT,
    env: fixedToken === null ? withoutToken(process.env) : { ...process.env, STACKDECK_TOKEN: fixedToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      rej(new Error(`the host did not exit within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    proc.on('exit', (code) => {
      clearTimeout(timer)
      res({ code, output: out })
    })
  })
}
