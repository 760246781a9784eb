import type { ContainerCheckT, ContainerFileProofT } from '../api/contract/workflow'
import type { ContainerRef, ContainerSight, ReloadReport, StackPort } from './ports'

/**
 * The last two steps of a run, shared with recovery: prove that each container sees the new file,
 * then count reload evidence only from containers that do, then judge every container's state.
 */

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** Per container id: does it see the bytes that were written? From a sight read with readFiles. */
export function fileProof(s: ContainerSight, newHash: string | null): ContainerFileProofT {
  const base = { view: s.kind, containerPath: s.containerPath }
  if (s.seen) {
    const matches = newHash === null ? null : s.seen.sha256 === newHash
    const how = s.seen.via === 'exec' ? 'read from inside (exec)' : 'read through the archive API'
    return {
      ...base,
      via: s.seen.via,
      sha256: s.seen.sha256,
      matches,
      note: matches
        ? `sees the new file at ${s.containerPath} (${how})`
        : `sees other bytes at ${s.containerPath} (sha256 ${s.seen.sha256.slice(0, 12)}, ${how}): NOT the file that was written`,
    }
  }
  const why =
    s.kind === 'volume'
      ? 'config.toml is not bind-mounted, only volumes: what they hold cannot be checked'
      : s.kind === 'none'
        ? 'config.toml is not mounted in this container'
        : s.kind === 'unknown'
          ? `its mounts are unknown: ${s.reason ?? 'the engine did not answer'}`
          : `could not be read: ${s.seenError ?? 'no answer'}`
  return { ...base, via: 'none', sha256: null, matches: null, note: why }
}

export async function proveFiles(stack: StackPort, refs: ContainerRef[], newHash: string | null): Promise<Map<string, ContainerFileProofT>> {
  const out = new Map<string, ContainerFileProofT>()
  if (refs.length === 0) return out
  let sights: ContainerSight[]
  try {
    sights = await stack.configViews(refs, { readFiles: true })
  } catch (err) {
    for (const r of refs)
      out.set(r.id, { view: 'unknown', containerPath: null, via: 'none', sha256: null, matches: null, note: `could not be checked: ${errText(err)}` })
    return out
  }
  for (const s of sights) out.set(s.id, fileProof(s, newHash))
  return out
}

/**
 * Evidence from a container that does not see the new file proves nothing: its service is not
 * proved, whatever its log says (it may well print "reloaded" with the old values).
 */
export function discountUnseen(r: ReloadReport, proofs: ReadonlyMap<string, ContainerFileProofT>): ReloadReport {
  const stale = new Set([...proofs].filter(([, p]) => p.matches === false).map(([id]) => id))
  if (stale.size === 0) return r
  const details = r.details.map((d) =>
    stale.has(d.id) && !d.deferred
      ? { ...d, proved: false, error: `${d.proved ? 'its reload line does not count: ' : ''}it does not see the new config.toml` }
      : d,
  )
  const badServices = new Set(details.filter((d) => stale.has(d.id) && !d.deferred).map((d) => d.service))
  return {
    ...r,
    details,
    proved: r.proved.filter((s) => !badServices.has(s)),
    unverifiable: r.unverifiable.filter((s) => !badServices.has(s)),
    notProved: [...new Set([...r.notProved, ...badServices])],
  }
}

const RELOAD_WORDS: Record<ContainerCheckT['reload'], string> = {
  proved: 'proved',
  not_proved: 'not proved',
  unverifiable: 'unverifiable',
  signalled: 'signal sent',
  deferred: 'deferred',
  not_sent: 'not sent',
}

const pick = ({ id, name, service, endpoint }: ContainerRef): ContainerRef => ({ id, name, service, endpoint })

/** Per container id, what its reload did, in the report's words. */
export function reloadStates(r: ReloadReport | null, awaited: boolean): Map<string, ContainerCheckT['reload']> {
  const m = new Map<string, ContainerCheckT['reload']>()
  for (const d of r?.details ?? []) {
    const failedSignal = d.error?.startsWith('signal') === true
    m.set(
      d.id,
      d.deferred
        ? 'deferred'
        : d.proved === true
          ? 'proved'
          : failedSignal || (d.error !== undefined && /not (running|signalled)|gone/.test(d.error))
            ? 'not_sent'
            : d.proved === null
              ? awaited ? 'unverifiable' : 'signalled'
              : 'not_proved',
    )
  }
  return m
}

/**
 * Inspect every container the run knows about and judge it: what the run paused (or, on a hot
 * apply, left running) must be running, what someone else had paused must still be paused.
 */
export async function checkContainers(
  stack: StackPort,
  ours: ContainerRef[],
  pausedBefore: ContainerRef[],
  reload: Map<string, ContainerCheckT['reload']>,
  proofs: ReadonlyMap<string, ContainerFileProofT> = new Map(),
  /** paused: `ours` were paused by the run; hot: a hot apply left them running; recovery: resumed or found running after a crash. */
  how: 'paused' | 'hot' | 'recovery' = 'paused',
): Promise<ContainerCheckT[]> {
  const hot = how !== 'paused'
  const all = [...ours, ...pausedBefore]
  const st = await stack.states(all).catch(() => new Map<string, string>())
  const judge = (r: ContainerRef, pausedByRun: boolean): ContainerCheckT => {
    const expected = pausedByRun ? 'running' : 'paused'
    const after = st.get(r.id) ?? 'unknown'
    const ok = after === expected
    const rl = reload.get(r.id) ?? (pausedByRun ? 'not_sent' : 'deferred')
    const by = how === 'hot' ? 'running, not paused (hot apply)' : how === 'recovery' ? 'running after recovery' : 'paused by this run'
    let note: string
    if (pausedByRun) {
      note = ok ? `${by}${hot ? '' : ', running again'}, reload ${RELOAD_WORDS[rl]}` : `${by}, but ${after} now`
    } else {
      note = ok
        ? `paused by the trader, left paused, reload ${RELOAD_WORDS[rl]}`
        : `paused by the trader and left alone by this run, but ${after} now (resumed by someone else?); reload ${RELOAD_WORDS[rl]}`
    }
    const file = proofs.get(r.id)
    if (file) note = `${note}; ${file.note}`
    return {
      ...pick(r),
      before: pausedByRun ? 'running' : 'paused',
      pausedByRun: pausedByRun && !hot,
      expected,
      after,
      ok: ok && file?.matches !== false,
      reload: rl,
      note,
      ...(file ? { file } : {}),
    }
  }
  return [...ours.map((r) => judge(r, true)), ...pausedBefore.map((r) => judge(r, false))]
}

export function deferredServices(r: ReloadReport): string[] {
  return [...new Set(r.details.filter((d) => d.deferred).map((d) => d.service))]
}
