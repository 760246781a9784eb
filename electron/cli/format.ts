/** Human output: short lines and aligned tables, no colours (output is often piped or logged). */
import type { OpResult } from '../core/api/contract'

// The results the formatters read, named by their operations (types only: erased at build).
type HealthT = OpResult<'app.health'>
type AppInfoT = OpResult<'app.info'>
type AuditPageT = OpResult<'audit.query'>
type AgentsT = OpResult<'bus.agents'>
type BusEventT = OpResult<'bus.events'>['events'][number]
type KillswitchStateT = OpResult<'bus.killswitch.get'>
type KillswitchResultT = OpResult<'bus.killswitch.engage'>
type ScheduleViewT = OpResult<'schedule.get'>
type StackActionResultT = OpResult<'stack.pause'>
type StackStatusT = OpResult<'stack.status'>
type ConfigViewsReportT = OpResult<'stack.configViews'>
type RunReportT = OpResult<'workflow.saveAndRestart'>

export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return ''
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

export const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}\u2026`)

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`
}

const yes = (b: boolean) => (b ? 'yes' : 'no')

export function formatHealth(h: HealthT): string {
  return [
    `${h.status === 'ok' ? 'ok' : 'DEGRADED'}  Stackdeck ${h.version}, up ${duration(h.uptimeS)}`,
    `docker  ${h.docker.ok ? 'ok' : 'unreachable'}  ${h.docker.detail}`,
    `redis   ${h.redis.ok ? 'ok' : 'unreachable'}  ${h.redis.detail}`,
  ].join('\n')
}

export function formatInfo(i: AppInfoT): string {
  return table(
    ['', ''],
    [
      ['name', i.name],
      ['version', i.version],
      ['you are', i.who],
      ['platform', `${i.platform}, node ${i.node}, pid ${i.pid}`],
      ['started', `${i.startedAt} (up ${duration(i.uptimeS)})`],
      ['settings', i.settingsSource ?? 'built-in defaults'],
    ],
  )
    .split('\n')
    .slice(1)
    .join('\n')
}

export function formatKillswitchState(k: KillswitchStateT): string {
  if (!k.engaged)
    return `killswitch  released${k.latched ? ', trading LATCHED OFF until `killswitch resume`' : ''}${k.who ? ` (last change by ${k.who} at ${k.at ?? '?'})` : ''}${k.stored ? '' : '  [not yet stored in Redis]'}`
  return `killswitch  ENGAGED by ${k.who ?? '?'} at ${k.at ?? '?'}: ${k.reason ?? ''}${k.stored ? '' : '  [not yet stored in Redis]'}`
}

export function formatStatus(
  s: StackStatusT,
  extra: { killswitch?: KillswitchStateT | null; schedule?: ScheduleViewT | null },
): string {
  const counts = Object.entries(s.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')
  const out = [`stack       ${s.state.toUpperCase()}${counts ? ` (${counts})` : ''}`]
  const down = s.endpoints.filter((e) => !e.reachable)
  out.push(
    `endpoints   ${s.endpoints.length - down.length}/${s.endpoints.length} reachable${down.map((e) => `; ${e.id}: ${e.error ?? 'down'}`).join('')}`,
  )
  if (extra.killswitch) out.push(formatKillswitchState(extra.killswitch))
  if (extra.schedule) out.push(tradingLine(extra.schedule))
  const rows = s.containers.map((c) => [
    c.name,
    c.service,
    c.state,
    c.health,
    duration(c.uptimeS),
    c.endpoint,
  ])
  if (rows.length > 0)
    out.push('', table(['CONTAINER', 'SERVICE', 'STATE', 'HEALTH', 'UP', 'ENDPOINT'], rows))
  return out.join('\n')
}

function tradingLine(v: ScheduleViewT): string {
  const st = v.state
  const enabled = st.enabled === null ? 'not scheduled' : st.enabled ? 'ENABLED' : 'disabled'
  const next = v.next ? `; next ${v.next.kind} ${v.next.local} ${v.next.zone}` : ''
  return `trading     ${enabled} (${st.source}: ${st.reason})${next}`
}

export function formatAction(r: StackActionResultT): string {
  const t = r.totals
  const what = r.action === 'signal' ? `signal ${r.signal ?? ''}` : r.action
  const scope = r.target.container
    ? `container ${r.target.container}`
    : r.target.service
      ? `service ${r.target.service}`
      : 'stack'
  const head = `${what} ${scope}: ${r.ok ? 'ok' : 'NOT COMPLETE'} in ${Math.round(r.ms)} ms (${t.ok} done, ${t.already} already, ${t.skipped} skipped, ${t.failed} failed, ${t.timeout} timed out, ${t.gone} gone)`
  const rows = r.containers.map((c) => [
    c.name,
    c.service,
    c.outcome,
    c.state ?? '-',
    `${Math.round(c.ms)}`,
    c.error ?? '',
  ])
  const out = [head]
  if (rows.length > 0) out.push(table(['CONTAINER', 'SERVICE', 'OUTCOME', 'STATE', 'MS', 'ERROR'], rows))
  for (const u of r.unreachable) out.push(`unreachable endpoint ${u.endpoint}: ${u.error}`)
  if (r.announced === false) out.push('warning: the announcement did not reach the bus')
  return out.join('\n')
}

export function formatRun(r: RunReportT): string {
  const out = [
    `save & restart ${r.outcome.toUpperCase().replace(/_/g, ' ')} in ${Math.round(r.totalMs)} ms (run ${r.runId})`,
    r.message,
  ]
  const steps = r.steps.map((s) => [
    s.step,
    s.status,
    s.ms === undefined ? '-' : `${Math.round(s.ms)}`,
    clip(s.detail ?? '', 80),
  ])
  if (steps.length > 0) out.push('', table(['STEP', 'STATUS', 'MS', 'DETAIL'], steps))
  if (r.diff.summary) out.push('', `changes: ${r.diff.summary}`)
  if (r.backup) out.push(`backup: ${r.backup}`)
  out.push(`mode: ${runMode(r)}`)
  out.push(`freeze: ${freezeLine(r)}`)
  if (r.writeMode === 'in-place') out.push('write: in place for single-file mounts (config.singleFileMounts = write-in-place): NOT crash-atomic')
  if (r.reload.notProved.length > 0) out.push(`reload NOT proved: ${r.reload.notProved.join(', ')}`)
  if (r.reload.unverifiable.length > 0) out.push(`reload unverifiable: ${r.reload.unverifiable.join(', ')}`)
  const held = (r.containers ?? []).filter((c) => !c.pausedByRun)
  if (held.length > 0)
    out.push(`left paused as the trader had them (not signalled, reload deferred): ${held.map((c) => c.name).join(', ')}`)
  const wrong = (r.containers ?? []).filter((c) => !c.ok)
  if (wrong.length > 0) out.push(`NOT AS EXPECTED: ${wrong.map((c) => `${c.name} ${c.after} (want ${c.expected})`).join(', ')}`)
  const proofs = (r.containers ?? []).filter((c) => c.file)
  if (proofs.length > 0) {
    out.push(
      '',
      table(
        ['CONTAINER', 'VIEW', 'VIA', 'FILE', 'NOTE'],
        proofs.map((c) => [
          c.name,
          c.file?.view ?? '-',
          c.file?.via ?? '-',
          c.file?.matches === true ? 'new' : c.file?.matches === false ? 'DIFFERS' : 'unproved',
          clip(c.file?.note ?? '', 100),
        ]),
      ),
    )
  }
  if (r.leftPaused.length > 0)
    out.push(`STILL PAUSED: ${r.leftPaused.map((c) => c.name).join(', ')} (run \`stackdeck resume\`)`)
  return out.join('\n')
}

function runMode(r: RunReportT): string {
  if (r.mode === 'hot') return 'hot (every changed field is x-apply hot: nothing was paused)'
  if (r.mode === 'paused') return 'paused'
  return 'not reported (older host)'
}

const CLOCKS = { engine: 'engine events', stackdeck: "Stackdeck's clock" } as const

/** "frozen 212 ms (engine events; Stackdeck's clock 248 ms)", "not paused" or "unknown". */
export function freezeLine(r: Pick<RunReportT, 'mode' | 'freezeWindowMs' | 'freezeClock' | 'freezeWindowClientMs'>): string {
  if (r.mode === 'hot' || r.freezeClock === 'none') return 'not paused'
  if (r.freezeWindowMs === null) return 'unknown'
  const clock = r.freezeClock ? CLOCKS[r.freezeClock] : null
  const client =
    r.freezeClock === 'engine' && typeof r.freezeWindowClientMs === 'number' ? `; Stackdeck's clock ${Math.round(r.freezeWindowClientMs)} ms` : ''
  return `frozen ${Math.round(r.freezeWindowMs)} ms${clock ? ` (${clock}${client})` : ''}`
}

type ContainerViewT = ConfigViewsReportT['containers'][number]

const VIEW_WORDS: Record<ContainerViewT['view']['kind'], string> = {
  directory: 'directory',
  file: 'SINGLE FILE',
  volume: 'volume (unknown)',
  none: 'not mounted',
  unknown: 'unknown',
}

/**
 * What a readFiles report says about one container's bytes. For a single-file mount only the inside
 * read (exec cat) proves what it reads: the archive read shows the host's current file.
 */
export function viewBytesVerdict(c: ContainerViewT): 'same' | 'differs' | 'unproved' | '-' {
  const got = c.view.kind === 'file' ? c.inside : c.file
  if (got) return got.matchesHost === true ? 'same' : got.matchesHost === false ? 'differs' : 'unproved'
  if (c.view.kind === 'none' || c.view.kind === 'volume') return c.fileError ? 'unproved' : '-'
  return 'unproved'
}

function bytesNote(c: ContainerViewT): string {
  if (c.view.kind === 'file') {
    if (c.inside) return `inside (exec cat) ${c.inside.sha256.slice(0, 12)}; the archive read cannot prove a single-file mount`
    return `inside read failed: ${c.insideError ?? 'not attempted'}`
  }
  if (c.file) return `archive read ${c.file.sha256.slice(0, 12)}`
  return c.fileError ?? c.view.reason ?? ''
}

export function formatConfigViews(r: ConfigViewsReportT): string {
  const read = r.containers.some((c) => c.file || c.inside || c.fileError || c.insideError)
  const out = [
    `config      ${r.configPath}${r.realPath && r.realPath !== r.configPath ? ` (-> ${r.realPath})` : ''}${r.hostSha256 ? `  sha256 ${r.hostSha256.slice(0, 12)}` : ''}`,
    `single-file mounts: ${r.singleFileMounts === 'refuse' ? 'refused by Save & Restart (config.singleFileMounts = refuse)' : 'written in place, not crash-atomic (config.singleFileMounts = write-in-place)'}`,
  ]
  if (r.containers.length === 0) return [...out, 'no containers'].join('\n')
  const headers = ['CONTAINER', 'SERVICE', 'VIEW', 'PATH IN CONTAINER', 'MOUNT', ...(read ? ['BYTES', 'HOW'] : [])]
  const rows = r.containers.map((c) => {
    const m = c.view.mount
    const mount = m ? `${m.type === 'volume' ? (m.name ?? m.source) : m.source}:${m.destination}${m.rw ? '' : ':ro'}` : c.view.kind === 'unknown' ? (c.view.reason ?? '') : '-'
    const row = [c.name, c.service ?? '-', VIEW_WORDS[c.view.kind], c.view.containerPath ?? '-', clip(mount, 80)]
    return read ? [...row, viewBytesVerdict(c), clip(bytesNote(c), 90)] : row
  })
  out.push('', table(headers, rows))
  for (const c of r.containers) {
    const f = c.refusal
    if (!f) continue
    out.push('', `${f.summary}.`, '  fix: mount the directory. In the service\'s compose volumes, replace', `    ${f.fix.replace}`, '  with', `    ${f.fix.with}`)
    for (const cav of f.caveats) out.push(`  - ${cav}`)
  }
  return out.join('\n')
}

export function formatKillswitchResult(r: KillswitchResultT): string {
  const out = [formatKillswitchState(r.state)]
  const actions = Object.entries(r.actions).map(([name, a]) => [name, a.status, a.error ?? ''])
  out.push(table(['ACTION', 'STATUS', 'ERROR'], actions))
  const round = r.state.lastRound
  if (round) {
    out.push(
      `acknowledged: ${round.acked.map((a) => a.agentId).join(', ') || 'none'} of ${round.asked.length} asked`,
    )
    const forced = round.paused.map((p) => `${p.agentId}${p.ok ? '' : ` (FAILED: ${p.error ?? '?'})`}`)
    if (forced.length > 0) out.push(`paused at Docker level: ${forced.join(', ')}`)
  }
  for (const w of r.warnings) out.push(`warning: ${w}`)
  return out.join('\n')
}

export function formatAgents(a: AgentsT): string {
  const t = a.totals
  const ended = t.ended ? `, ${t.ended} ended` : ''
  const head = `${t.total} agents: ${t.alive} alive, ${t.dead} dead, ${t.paused} paused, ${t.unknown} unknown${ended} (bus ${a.connection})`
  const rows = a.agents.map((x) => [
    x.id,
    x.transport,
    x.group,
    x.status,
    x.run ? `${x.run.id} ${x.run.state}/${x.run.health}` : '',
    yes(x.alive),
    `${duration(x.secondsSinceBeat)} ago`,
    String(x.beats),
    x.anomalyCount > 0 ? String(x.anomalyCount) : '',
  ])
  return rows.length > 0
    ? `${head}\n${table(['AGENT', 'VIA', 'GROUP', 'STATUS', 'RUN', 'ALIVE', 'LAST BEAT', 'BEATS', 'ANOMALIES'], rows)}`
    : head
}

export function formatEvent(e: BusEventT): string {
  let payload: string
  try {
    payload = JSON.stringify(e.payload) ?? ''
  } catch {
    payload = '?'
  }
  return `#${e.id}  ${e.ts}  ${e.channel}${e.source ? `  [${e.source}]` : ''}  ${clip(payload, 160)}`
}

export function formatSchedule(v: ScheduleViewT): string {
  const out = [tradingLine(v)]
  if (!v.configured)
    out.push(v.rulesError ? `rules invalid: ${v.rulesError.message}` : 'no [schedule] configured')
  if (v.rules) {
    const r = v.rules
    out.push(
      `window      ${r.start} -> ${r.stop} ${r.timezone}${r.days ? ` on ${r.days.join(',')}` : ''}${r.overnight ? ' (overnight)' : ''}`,
    )
  }
  const o = v.state.override
  if (o)
    out.push(
      `override    trading ${o.value ? 'on' : 'off'} by ${o.who} until ${o.until === 'cleared' ? 'cleared' : (o.expiresAt ?? 'next transition')}${o.why ? `: ${o.why}` : ''}`,
    )
  if (v.state.vetoed) out.push(`held back   ${v.state.vetoed}`)
  if (v.flag)
    out.push(
      `flag        ${v.flag.value ? 'enabled' : 'disabled'} (v${v.flag.version}, by ${v.flag.who} at ${v.flag.at})`,
    )
  if (v.flagError) out.push(`flag error  ${v.flagError}`)
  const rows = v.upcoming.map((t) => [t.kind, t.local, t.zone, t.at, t.note ?? ''])
  if (rows.length > 0) out.push('', table(['NEXT', 'LOCAL', 'ZONE', 'UTC', 'NOTE'], rows))
  return out.join('\n')
}

export function formatAudit(p: AuditPageT): string {
  if (p.records.length === 0) return 'no audit records match'
  const rows = p.records.map((r) => [
    String(r.seq),
    r.at,
    r.who,
    r.door,
    r.action,
    r.target ?? '',
    r.outcome,
    clip(r.reason ?? '', 60),
  ])
  const more = p.more ? `\n(more records exist; use --since or --limit)` : ''
  return `${table(['SEQ', 'AT', 'WHO', 'DOOR', 'ACTION', 'TARGET', 'OUTCOME', 'REASON'], rows)}${more}`
}
