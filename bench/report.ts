/**
 * How every bench reports: one line per goal ending in MET / NOT MET (or "not measured"), and
 * exactly one machine-readable line, `BENCH_JSON {...}`, that bench/run.ts picks out of the
 * output for its summary. A missed goal is a result, never a failure: a bench exits non-zero only
 * when it could not measure.
 */

export const BENCH_JSON_PREFIX = 'BENCH_JSON '

export interface Goal {
  /** What is compared, in words (e.g. "bus throughput / bare ioredis"). */
  name: string
  /** The measured figure; null when it could not be measured this run. */
  value: number | null
  op: '<' | '<=' | '>=' | '=='
  target: number
  /** null: not measured (the figure is missing), counted apart from MET / NOT MET. */
  met: boolean | null
  /** Unit of value and target ('x' for a ratio). */
  unit: string
}

export function goal(name: string, value: number | null, op: Goal['op'], target: number, unit = 'x'): Goal {
  const ok =
    value === null || !Number.isFinite(value)
      ? null
      : op === '<'
        ? value < target
        : op === '<='
          ? value <= target
        : op === '>='
          ? value >= target
          : value === target
  return { name, value: value !== null && Number.isFinite(value) ? value : null, op, target, met: ok, unit }
}

/** Three decimals for ratios: 0.596 must not print as a 0.60 that reads as meeting >= 0.60. */
const show = (v: number, unit: string) =>
  unit === 'x' ? `${v.toFixed(3)}x` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`

/** `goal: <name> <op> <target>: <value> MET` (or NOT MET / not measured). */
export function goalLine(g: Goal): string {
  const verdict = g.met === null ? 'not measured' : g.met ? 'MET' : 'NOT MET'
  const value = g.value === null ? 'n/a' : show(g.value, g.unit)
  return `goal: ${g.name} ${g.op} ${show(g.target, g.unit)}: ${value}  ${verdict}`
}

export function printGoals(goals: readonly Goal[], log: (l: string) => void = (l) => console.log(l)): void {
  for (const g of goals) log(goalLine(g))
}

/** The one JSON line of a bench: its figures and its goals. */
export function printBenchJson(bench: string, body: Record<string, unknown> & { goals: readonly Goal[] }): void {
  console.log(BENCH_JSON_PREFIX + JSON.stringify({ bench, ...body }))
}

export interface BenchSummary {
  bench: string
  goals: Goal[]
}

/** A `BENCH_JSON` line from a bench's output, or null. */
export function parseBenchJson(line: string): BenchSummary | null {
  const t = line.trim()
  if (!t.startsWith(BENCH_JSON_PREFIX)) return null
  try {
    const v = JSON.parse(t.slice(BENCH_JSON_PREFIX.length)) as { bench?: unknown; goals?: unknown }
    if (typeof v.bench !== 'string') return null
    return { bench: v.bench, goals: Array.isArray(v.goals) ? (v.goals as Goal[]) : [] }
  } catch {
    return null
  }
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}
