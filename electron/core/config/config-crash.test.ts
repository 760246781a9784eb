/**
 * Crash safety of the write protocol with real processes: a child saves config.toml in a loop and
 * is SIGKILLed at random moments, hundreds of times. After every kill the file must be byte-equal
 * to one of the two contents and parse; every backup too. Never a torn or empty file.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigService } from './config-service'
import { sha256 } from './config-writer'
import { parseToml } from './toml-values'

const ROOT = resolve(import.meta.dirname, '../../..')
const SCHEMA = join(ROOT, 'schemas/config.schema.json')
const EXAMPLE = readFileSync(join(ROOT, 'config.example.toml'), 'utf8')
const CHILD_TS = join(import.meta.dirname, '__fixtures__/crash-save-child.ts')
const KILLS = 200
// Independent directories killed in parallel: process start-up, not the save, dominates a cycle.
const LANES = 4

// Two valid contents of clearly different sizes (B spans many write chunks), so a torn write of
// either would show up as a prefix/mix that equals neither.
const A = EXAMPLE
const B = EXAMPLE.replace('max_open_orders = 40', 'max_open_orders = 41') + `\n${'# padding to make the write long\n'.repeat(6000)}`

let work: string
let command: string[]

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sd-config-crash-'))
  writeFileSync(join(work, 'a.toml'), A)
  writeFileSync(join(work, 'b.toml'), B)
  // A bundled child starts in ~0.2 s instead of ~0.6 s under tsx, which is what makes 200 kills
  // fit in the time budget. esbuild ships with tsx; fall back to tsx itself if it is missing.
  try {
    const { build } = await import('esbuild')
    const out = join(work, 'child.cjs')
    await build({ entryPoints: [CHILD_TS], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error' })
    command = [out]
  } catch {
    command = ['--import', 'tsx', CHILD_TS]
  }
}, 60_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Run one child until it has saved once, let it save for a random while, SIGKILL it. */
async function killOnce(dir: string): Promise<void> {
  const child = spawn(process.execPath, [...command, join(dir, 'config.toml'), join(work, 'a.toml'), join(work, 'b.toml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const ready = new Promise<void>((res, rej) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && res())
    void exited.then((code) => rej(new Error(`child exited (${code}) before saving: ${stderr}`)))
  })
  await ready
  await sleep(Math.random() * 40)
  child.kill('SIGKILL')
  await exited
}

function checkDir(dir: string): { strayTemps: number } {
  const text = readFileSync(join(dir, 'config.toml'), 'utf8')
  if (text !== A && text !== B) throw new Error(`torn config.toml: ${text.length} bytes, sha256 ${sha256(text)}`)
  parseToml(text)
  let strayTemps = 0
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.config.toml.stackdeck-')) strayTemps++
    else if (name.startsWith('config.toml.bak.')) {
      const bak = readFileSync(join(dir, name), 'utf8')
      if (bak !== A && bak !== B) throw new Error(`torn backup ${name}: ${bak.length} bytes`)
    }
  }
  return { strayTemps }
}

describe('crash safety', () => {
  it(`SIGKILL during saves (${KILLS} kills) never leaves a torn file`, async () => {
    const started = Date.now()
    let killedMidWrite = 0
    const lane = async (i: number) => {
      const dir = join(work, `lane${i}`)
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir)
      writeFileSync(join(dir, 'config.toml'), A)
      for (let k = 0; k < KILLS / LANES; k++) {
        await killOnce(dir)
        if (checkDir(dir).strayTemps > 0) killedMidWrite++
      }
      return dir
    }
    const dirs = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)))
    // Non-vacuous: some kills really landed between creating a temp file and renaming it.
    expect(killedMidWrite).toBeGreaterThan(0)

    // The next save cleans up what the killed processes left behind.
    for (const dir of dirs) {
      const service = new ConfigService({ configPath: join(dir, 'config.toml'), schemaPath: SCHEMA, keepBackups: 4 })
      const current = (await service.currentHash()) as string
      await service.backupAndWrite(current === sha256(A) ? B : A, current)
      expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([])
      expect(readdirSync(dir).filter((n) => n.includes('.bak.'))).toHaveLength(4)
    }
    console.log(`crash test: ${KILLS} kills, ${killedMidWrite} mid-write, ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }, 120_000)
})
