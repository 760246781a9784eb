/**
 * Config edit benchmark: on a generated 2,000-line config.toml, time Stackdeck's comment-preserving
 * edit path against the baseline of a plain smol-toml parse + stringify (which loses comments).
 *
 *   node --import tsx bench/config-bench.ts [runs]
 *
 * Prints the median of each measurement and its ratio to the baseline, then one JSON line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse, stringify } from 'smol-toml'
import { ConfigService } from '../electron/core/config/config-service'
import { applyPlainValue } from '../electron/core/config/toml-edit'
import { parseToml, toPlain } from '../electron/core/config/toml-values'
import { withEdits } from '../electron/core/config/__fixtures__/value-path'

const SCHEMA = resolve(import.meta.dirname, '../schemas/config.schema.json')

export function generateConfig(targetLines = 2000): string {
  const out: string[] = [
    '# Generated benchmark config: realistic shape, lots of comments.',
    '',
    '[orchestrator]',
    'name = "bench-stack"   # display name',
    'start_paused = false',
    'log_level = "info"',
    '',
    '[schedule]',
    'start = "09:30"',
    'stop = 16:00:00',
    'timezone = "America/New_York"',
    'days = ["mon", "tue", "wed", "thu", "fri"]',
    'holidays = [2025-12-25, 2026-01-01]',
    '',
    '[risk]',
    'max_position = 5_000     # per symbol',
    'max_daily_loss = 25_000.0',
    'max_order_notional = 250_000.0',
    'max_open_orders = 40',
    'killswitch_pause_stack = true',
    '',
    '[scanner]',
    'universe = ["AAPL", "MSFT", "NVDA", "AMZN", "SPY"]',
    'interval_ms = 1_000',
    'min_volume = 500_000',
    '',
    '[agents]',
    'heartbeat_interval_s = 1.0',
  ]
  for (let i = 0; out.length < targetLines - 10; i++) {
    out.push(
      '',
      `# Agent ${i}: momentum variant ${i % 7}, reviewed by the desk.`,
      `[agents.agent_${i}]`,
      `strategy = "momentum_v${i % 7}"   # restart to change`,
      `enabled = ${i % 3 !== 0}`,
      `symbols = ["AAPL", "MSFT"]`,
      `max_position = ${100 + i}`,
      `params = { lookback_bars = ${10 + (i % 30)}, breakout_pct = ${(0.5 + (i % 10) / 10).toFixed(1)} }`,
    )
  }
  return out.join('\n') + '\n'
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

async function time(runs: number, fn: (i: number) => unknown): Promise<number> {
  await fn(-1) // warm-up: JIT, schema compile, file cache
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn(i)
    ms.push(performance.now() - t)
  }
  return median(ms)
}

export async function runConfigBench(runs = 9) {
  const text = generateConfig()
  const lines = text.split('\n').length - 1
  const dir = mkdtempSync(join(tmpdir(), 'sd-config-bench-'))
  try {
    const file = join(dir, 'config.toml')
    writeFileSync(file, text)
    const plain = toPlain(parseToml(text))
    const edit = (i: number, extra: Record<string, unknown> = {}) =>
      withEdits(plain, { '/risk/max_position': 6000 + i + 1, '/agents/agent_100/max_position': 500 + i + 1, ...extra })

    // A distinct text per run, so the parse memo (toml-values) cannot make the edit look cheaper.
    const textOf = (i: number) => `${text}# run ${i}\n`
    const baseline = await time(runs, (i) => stringify(parse(textOf(i))))
    const inPlace = await time(runs, (i) => applyPlainValue(textOf(i), edit(i)))
    const structural = await time(Math.min(runs, 5), (i) =>
      applyPlainValue(textOf(i), edit(i, { '/agents/agent_new': { strategy: 'momentum_v1', enabled: true } })),
    )
    const service = new ConfigService({ configPath: file, schemaPath: SCHEMA, keepBackups: 3 })
    const full = await time(runs, async (i) => {
      const loaded = await service.load()
      await service.save({ value: withEdits(loaded.value, { '/risk/max_position': 7000 + i + 1 }), baseHash: loaded.hash })
    })
    return { lines, runs, baselineMs: baseline, inPlaceMs: inPlace, structuralMs: structural, loadValidateSaveMs: full }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 9)
  const r = await runConfigBench(runs)
  const row = (label: string, ms: number) =>
    console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(9)} ms   x${(ms / r.baselineMs).toFixed(2)}`)
  console.log(`config.toml benchmark: ${r.lines} lines, median of ${r.runs} runs (ratio vs baseline)`)
  row('baseline: smol-toml parse + stringify (drops comments)', r.baselineMs)
  row('edit 2 scalars, comment-preserving (in-place + verify)', r.inPlaceMs)
  row('structural edit, comment-preserving (toml-patch + verify)', r.structuralMs)
  row('load + validate + save (patch, validate, backup, fsync)', r.loadValidateSaveMs)
  console.log(JSON.stringify({ bench: 'config', ...r, ratioInPlace: r.inPlaceMs / r.baselineMs, ratioFull: r.loadValidateSaveMs / r.baselineMs }))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
