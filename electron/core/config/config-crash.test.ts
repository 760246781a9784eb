/**
 * Crash safety of the write protocol with real processes: a child saves config.toml in a loop and
 * is SIGKILLed at random moments, hundreds of times. After every kill the file must be byte-equal
 * to one of the two contents and parse; every backup too. Never a torn or empty file.
 */
import { spawn } from 'node:child_process'
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigService } from './config-service'
import { LEFTOVER_SAFE_AGE_MS, sha256 } from './config-writer'
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

/** Run one child until it has saved once, let it save for a random while, SIGKILL it; returns its pid. */
async function killOnce(dir: string): Promise<number> {
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
  return child.pid as number
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
      const res = await service.backupAndWrite(current === sha256(A) ? B : A, current)
      const why = JSON.stringify({ res, files: readdirSync(dir).sort() })
      expect(readdirSync(dir).filter((n) => n.startsWith('.')), why).toEqual([])
      expect(readdirSync(dir).filter((n) => n.includes('.bak.')), why).toHaveLength(4)
    }
    console.log(`crash test: ${KILLS} kills, ${killedMidWrite} mid-write, ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }, 120_000)
})

describe('start-up clean-up of killed saves', () => {
  it('removes the temp files a SIGKILLed save left, and nothing else', async () => {
    const dir = join(work, 'startup')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
    const file = join(dir, 'config.toml')
    writeFileSync(file, A)
    const ours = /^\.config\.toml\.stackdeck-(tmp|bak|old)-(\d+)-[0-9a-f]{12}$/
    // Kill writers until one dies between creating a temp file and renaming it.
    let leftovers: string[] = []
    let deadPid = 0
    for (let k = 0; k < 60 && leftovers.length === 0; k++) {
      deadPid = await killOnce(dir)
      leftovers = readdirSync(dir).filter((n) => ours.test(n))
    }
    expect(leftovers.length, 'no kill landed mid-write in 60 tries').toBeGreaterThan(0)

    // Things that look alike but are not leftovers of a dead save of THIS file.
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      const hex = 'a1b2c3d4e5f6'
      const decoys: Record<string, string> = {
        'config.toml.bak.20200101_000000': 'a backup, never touched\n',
        '.config.toml.stackdeck-notes': "a user's file with our prefix\n",
        [`.config.toml.stackdeck-tmp-${alive.pid}-${hex}`]:
          'a save still in progress in another live process\n',
        [`.other.toml.stackdeck-tmp-${deadPid}-${hex}`]: "another config's temp file\n",
        [`.config.toml.stackdeck-tmp-${deadPid}-A1B2C3D4E5F6`]: 'not our exact shape (upper-case hex)\n',
        [`.config.toml.stackdeck-tmp-${deadPid}-${hex}0`]: 'not our exact shape (13 hex digits)\n',
        [`config.toml.${deadPid}.tmp`]: "the journal's temp shape\n",
        [`.config.toml.stackdeck-zip-${deadPid}-${hex}`]: 'not one of our kinds\n',
      }
      for (const [name, text] of Object.entries(decoys)) writeFileSync(join(dir, name), text)
      mkdirSync(join(dir, `.config.toml.stackdeck-bak-${deadPid}-bbbbbbbbbbbb`))
      symlinkSync(file, join(dir, `.config.toml.stackdeck-old-${deadPid}-cccccccccccc`))
      // A side link from a save killed right after its rename that holds an outside edit found
      // nowhere else: it must become a backup, not be deleted.
      const caught = `${A}# an outside edit that landed as the save was killed\n`
      writeFileSync(join(dir, `.config.toml.stackdeck-old-${deadPid}-dddddddddddd`), caught)
      // A side link of a killed save that is still the live file (nlink 2): redundant.
      linkSync(file, join(dir, `.config.toml.stackdeck-old-${deadPid}-eeeeeeeeeeee`))
      const expectedGone = [
        ...leftovers,
        `.config.toml.stackdeck-old-${deadPid}-dddddddddddd`,
        `.config.toml.stackdeck-old-${deadPid}-eeeeeeeeeeee`,
      ]

      console.log(`start-up clean-up: leftovers of the killed save: ${leftovers.join(', ')}`)
      const liveBefore = readFileSync(file)
      const backupsBefore = new Map(
        readdirSync(dir)
          .filter((n) => n.startsWith('config.toml.bak.'))
          .map((n) => [n, readFileSync(join(dir, n))]),
      )
      const before = readdirSync(dir)
      const logs: string[] = []
      const service = new ConfigService({
        configPath: file,
        schemaPath: SCHEMA,
        keepBackups: 4,
        log: (m) => logs.push(m),
      })
      await service.start()
      await service.stop()

      const after = readdirSync(dir)
      const added = after.filter((n) => !before.includes(n))
      const removed = before.filter((n) => !after.includes(n))
      expect(removed.sort()).toEqual(expectedGone.sort())
      // The one new file is the backup that keeps the caught edit, byte for byte.
      expect(added).toHaveLength(1)
      expect(added[0]).toMatch(/^config\.toml\.bak\.\d{8}_\d{6}(\.\d+)?$/)
      expect(readFileSync(join(dir, added[0] as string), 'utf8')).toBe(caught)
      // The live file, the backups and every decoy are untouched.
      expect(readFileSync(file).equals(liveBefore)).toBe(true)
      for (const [b, bytes] of backupsBefore) expect(readFileSync(join(dir, b)).equals(bytes), b).toBe(true)
      for (const [name, text] of Object.entries(decoys))
        expect(readFileSync(join(dir, name), 'utf8')).toBe(text)
      // Each removal is logged with the file's path and why it was safe.
      for (const name of leftovers) {
        expect(
          logs.some(
            (l) =>
              l.includes(`removed leftover temp file ${join(dir, name)}`) &&
              l.includes(`pid ${deadPid} is gone`),
          ),
        ).toBe(true)
      }
      expect(
        logs.some(
          (l) =>
            l.includes(`.config.toml.stackdeck-old-${deadPid}-dddddddddddd`) &&
            l.includes(`kept as backup ${added[0]}`),
        ),
      ).toBe(true)
      expect(
        logs.some(
          (l) => l.includes(`stackdeck-tmp-${alive.pid}-${hex} alone`) && l.includes('may still be saving'),
        ),
      ).toBe(true)

      // A live pid's temp file is only considered abandoned once it is older than the safe age
      // (a pid reused by an unrelated process): seen from a clock past that age, it goes too.
      const later = new ConfigService({
        configPath: file,
        schemaPath: SCHEMA,
        keepBackups: 4,
        log: (m) => logs.push(m),
        clock: () => new Date(Date.now() + LEFTOVER_SAFE_AGE_MS + 60_000),
      })
      await later.start()
      await later.stop()
      expect(readdirSync(dir).filter((n) => !after.includes(n))).toEqual([])
      expect(after.filter((n) => !readdirSync(dir).includes(n))).toEqual([
        `.config.toml.stackdeck-tmp-${alive.pid}-${hex}`,
      ])
    } finally {
      alive.kill()
    }
  }, 120_000)
})
