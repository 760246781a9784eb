/**
 * How one container sees config.toml, in the words and tones the Stack and Config tabs use (pure, so
 * every case is unit-tested). The facts come from `stack.configViews`; an answer we do not have is
 * shown as unknown, never as fine.
 */
import type { EventPayload, OpResult } from '@contract'

export type ConfigViewsReport = OpResult<'stack.configViews'>
export type ContainerConfigView = ConfigViewsReport['containers'][number]
export type ConfigViewKind = ContainerConfigView['view']['kind']

export type BadgeTone = 'ok' | 'warn' | 'unknown' | 'muted'

export interface ConfigBadge {
  /** The view's kind, or 'unknown' when we have no answer for this container. */
  kind: ConfigViewKind
  /** Short text on the badge, e.g. "✓ directory". */
  label: string
  tone: BadgeTone
  /** One line for the tooltip. */
  title: string
}

const KIND_ORDER: readonly ConfigViewKind[] = ['directory', 'file', 'volume', 'none', 'unknown']

/** The key a report row and a stack snapshot row share. */
export const viewKey = (c: { endpoint: string; id: string }): string => `${c.endpoint}/${c.id}`

/** Index a report by container, for lookups from the stack snapshot. */
export function indexViews(report: ConfigViewsReport | null): Map<string, ContainerConfigView> {
  return new Map((report?.containers ?? []).map((c) => [viewKey(c), c]))
}

/** `missing`: why there is no row (report not loaded, failed, or the container is not in it). */
export function configBadge(view: ContainerConfigView | undefined, missing = 'not known yet'): ConfigBadge {
  if (!view) return { kind: 'unknown', label: '? unknown', tone: 'unknown', title: `How this container sees config.toml is unknown: ${missing}.` }
  const v = view.view
  const at = v.containerPath ? ` at ${v.containerPath}` : ''
  switch (v.kind) {
    case 'directory':
      return { kind: 'directory', label: '✓ directory', tone: 'ok', title: `Sees config.toml through a directory mount${at}: every save reaches it.` }
    case 'file':
      return {
        kind: 'file',
        label: '⚠ single file',
        tone: 'warn',
        title: `Bind-mounts config.toml itself${at}: after a save it keeps reading the OLD file. ${view.refusal?.fix ? `Fix: replace "${view.refusal.fix.replace}" with "${view.refusal.fix.with}".` : ''}`.trim(),
      }
    case 'volume':
      return { kind: 'volume', label: '? volume', tone: 'unknown', title: 'Mounts only volumes: what they hold cannot be told from docker inspect, so whether it sees config.toml is unknown.' }
    case 'none':
      return { kind: 'none', label: 'not mounted', tone: 'muted', title: 'config.toml is not mounted into this container: a save does not reach it.' }
    default:
      return { kind: 'unknown', label: '? unknown', tone: 'unknown', title: `Unknown: ${v.reason ?? 'the engine could not be asked'}.` }
  }
}

/** "host:/srv/cfg → /config (ro)" for a bind, "volume data → /data (rw)" for a volume. */
export function describeMount(m: ContainerConfigView['view']['mount']): string | null {
  if (!m) return null
  const from = m.type === 'volume' ? (m.name ?? m.source) : m.source
  return `${m.type} ${from} → ${m.destination} (${m.rw ? 'rw' : 'ro'})`
}

export type ViewCounts = Record<ConfigViewKind, number>

export function countViews(report: ConfigViewsReport): ViewCounts {
  const counts: ViewCounts = { directory: 0, file: 0, volume: 0, none: 0, unknown: 0 }
  for (const c of report.containers) counts[c.view.kind] += 1
  return counts
}

const KIND_WORDS: Record<ConfigViewKind, string> = {
  directory: 'directory',
  file: 'single-file',
  volume: 'volume (unknown)',
  none: 'not mounted',
  unknown: 'unknown',
}

/** "3 directory, 1 single-file, 2 not mounted", or "no containers". */
export function summarizeViews(report: ConfigViewsReport): string {
  const counts = countViews(report)
  const parts = KIND_ORDER.filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${KIND_WORDS[k]}`)
  return parts.length ? parts.join(', ') : 'no containers'
}

/** Containers whose single-file mount Save & Restart refuses (setting `refuse`); empty otherwise. */
export function refusedContainers(report: ConfigViewsReport | null): ContainerConfigView[] {
  if (!report || report.singleFileMounts !== 'refuse') return []
  return report.containers.filter((c) => c.view.kind === 'file')
}

export type FileVerdict = 'match' | 'differs' | 'unproved' | 'not-checked'

export interface FileCheck {
  verdict: FileVerdict
  text: string
}

const short = (sha: string) => sha.slice(0, 12)

/**
 * What a `readFiles` report says about one container's bytes. For a single-file mount the archive
 * read shows the host's current file, not the inode the container pinned: only the `inside` read
 * (exec cat) proves what it reads.
 */
export function fileCheck(c: ContainerConfigView): FileCheck {
  const kind = c.view.kind
  if (kind === 'file') {
    const archive = c.file ? ` The archive read (${short(c.file.sha256)}) cannot prove it: it shows the host file, not the inode the container pinned.` : ''
    if (c.inside) {
      if (c.inside.matchesHost === true) return { verdict: 'match', text: `Inside the container (exec cat) the bytes match the host file.${archive}` }
      if (c.inside.matchesHost === false)
        return { verdict: 'differs', text: `Inside the container (exec cat) the bytes DIFFER from the host file (${short(c.inside.sha256)}): it reads an old copy.${archive}` }
      return { verdict: 'unproved', text: `Read inside (${short(c.inside.sha256)}), but the host file could not be read to compare.${archive}` }
    }
    return { verdict: 'unproved', text: `Not proved: the inside read failed (${c.insideError ?? 'not attempted'}).${archive}` }
  }
  if (c.file) {
    if (c.file.matchesHost === true) return { verdict: 'match', text: `Same bytes as the host file (archive read of ${c.file.path}).` }
    if (c.file.matchesHost === false)
      return { verdict: 'differs', text: `DIFFERENT bytes from the host file at ${c.file.path} (${short(c.file.sha256)}): the mount shows another file.` }
    return { verdict: 'unproved', text: `Read ${c.file.path} (${short(c.file.sha256)}), but the host file could not be read to compare.` }
  }
  if (c.fileError) return { verdict: 'unproved', text: `Could not read: ${c.fileError}` }
  if (kind === 'none') return { verdict: 'not-checked', text: 'Not mounted: nothing to read.' }
  if (kind === 'volume') return { verdict: 'not-checked', text: 'Volumes only: no path to read.' }
  return { verdict: 'unproved', text: `Unknown view: ${c.view.reason ?? 'not read'}.` }
}

/** The text the Copy button puts on the clipboard: the replacement compose line. */
export const composeFixLine = (c: ContainerConfigView): string | null => c.refusal?.fix.with ?? null

/**
 * What in a stack snapshot can change a container's view: a container's mounts are fixed for its
 * lifetime, so only a different set of containers (created, recreated, removed) or an engine that
 * became reachable or unreachable calls for a new report. Pauses and restarts do not.
 */
export function viewsKey(s: EventPayload<'stack.changed'>): string {
  const ids = s.services.flatMap((svc) => svc.containers.map((c) => viewKey(c))).sort()
  const engines = s.endpoints.map((e) => `${e.id}:${e.reachable ? 1 : 0}`).sort()
  return `${ids.join(',')}|${engines.join(',')}`
}
