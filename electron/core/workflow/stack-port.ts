import type { CallContext } from '../api/call-context'
import type { StackService } from '../stack/stack-service'
import type { ActionResult } from '../stack/types'
import type { ContainerRef, ContainerResult, ContainerSight, StackPort } from './ports'

/**
 * Maps the stack engine onto what Save & Restart needs. `skipped` (the container stopped running
 * between listing and pausing) counts as a failure here: the stack changed under the run, so the
 * safe answer is to roll back rather than write config into a stack we no longer know.
 */
function toResults(r: ActionResult): ContainerResult[] {
  return r.containers.map((c) => ({
    id: c.id,
    name: c.name,
    service: c.service,
    endpoint: c.endpoint,
    outcome: c.outcome === 'skipped' ? 'failed' : c.outcome,
    ...(c.error ? { error: c.error } : c.outcome === 'skipped' ? { error: `not running (${c.state ?? 'unknown'})` } : {}),
    ms: c.ms,
  }))
}

const asRefs = (targets: ContainerRef[]) => targets.map(({ id, endpoint, name, service }) => ({ id, endpoint, name, service }))

export function createStackPort(stack: StackService, configPath: string): StackPort {
  return {
    async runningTargets() {
      const running: ContainerRef[] = []
      const paused: ContainerRef[] = []
      for (const c of stack.containers(await stack.list())) {
        const ref = { id: c.id, name: c.name, service: c.service, endpoint: c.endpoint }
        if (c.state === 'running') running.push(ref)
        else if (c.state === 'paused') paused.push(ref)
      }
      return { running, paused }
    },
    async pause(targets: ContainerRef[], ctx: CallContext, why: string) {
      if (targets.length === 0) return []
      // Inside the freeze every round trip counts: the accepted pause is the confirmation, and the
      // bus hears of it without the run waiting (verify inspects every container afterwards).
      return toResults(await stack.pause(ctx, { containers: asRefs(targets), reason: why, trustAcceptedPause: true, announceInBackground: true }))
    },
    async unpause(targets: ContainerRef[], ctx: CallContext, why: string) {
      if (targets.length === 0) return []
      return toResults(await stack.unpause(ctx, { containers: asRefs(targets), reason: why, announceInBackground: true }))
    },
    // By inspect, not from the snapshot: verify and recovery judge "still paused" / "running
    // again" on what the engine says now, and the snapshot trails it by its event delivery.
    async states(targets: ContainerRef[]) {
      return stack.inspectStates(targets)
    },
    async configViews(targets: ContainerRef[], opts: { readFiles?: boolean } = {}) {
      const report = await stack.configViews(configPath, {
        targets: asRefs(targets),
        ...(opts.readFiles ? { readFiles: true, readInside: ['file'] as const } : {}),
      })
      return report.containers.map((c): ContainerSight => {
        // A single-file mount is proved only from inside (the archive shows the host file); a
        // directory mount by the archive read, which needs nothing in the image.
        const inside = c.view.kind === 'file'
        const seen = inside
          ? c.inside ? { via: 'exec' as const, sha256: c.inside.sha256 } : null
          : c.file ? { via: 'archive' as const, sha256: c.file.sha256 } : null
        return {
          id: c.id,
          name: c.name,
          endpoint: c.endpoint,
          kind: c.view.kind,
          containerPath: c.view.containerPath ?? c.file?.path ?? null,
          refusal: c.refusal ? { summary: c.refusal.summary, text: c.refusal.text, fix: c.refusal.fix } : null,
          reason: c.view.reason ?? (c.view.notes.length ? c.view.notes.join('; ') : null),
          seen,
          seenError: inside ? c.insideError : c.fileError,
        }
      })
    },
    engineFreeze: async (targets, sinceMs, untilMs) => (await stack.engineFreeze(targets, sinceMs, untilMs))?.ms ?? null,
    async reload(services: string[], since: Date, opts: { awaitEvidence?: boolean; config?: unknown } = {}) {
      const r = await stack.reload({
        services,
        since,
        ...(opts.awaitEvidence === false ? { awaitEvidence: false } : {}),
        ...(opts.config !== undefined ? { config: opts.config } : {}),
      })
      return {
        proved: r.proved,
        notProved: r.notProved,
        unverifiable: r.unverifiable,
        deferred: r.deferred,
        details: r.services.flatMap((s) =>
          s.containers.map((c) => ({
            service: s.service,
            id: c.id,
            container: c.name,
            endpoint: c.endpoint,
            proved: c.deferred ? false : s.status === 'unverifiable' ? null : c.proved,
            ...(c.deferred ? { deferred: c.deferred } : {}),
            ...(c.line ? { line: c.line } : {}),
            ...(c.error ? { error: c.error } : {}),
            ms: c.ms,
          })),
        ),
      }
    },
  }
}
