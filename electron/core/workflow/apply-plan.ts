import type { ContainerSight } from './ports'

/**
 * Before anything is touched: which path a run takes, and whether it may run at all. Pure, so every
 * combination is unit-tested.
 *
 * - A container that bind-mounts config.toml ITSELF keeps the old inode after an atomic rename and
 *   would go on reading the old config: refused up front (the refusal names the compose fix), unless
 *   the trader chose `config.singleFileMounts = write-in-place`.
 * - hot: every changed field is x-apply "hot", so a service reading the file at any moment reads the
 *   old or the new file whole (the rename is atomic): no pause is needed. Never with an in-place
 *   write, which a reader could see half-done.
 */

export type ApplyMode = 'auto' | 'paused' | 'hot'

export interface PlanInput {
  changes: ReadonlyArray<{ pointer: string; apply: string }>
  /** The run's own choice; undefined: the setting's. */
  requested: ApplyMode | undefined
  /** settings workflow.applyMode. */
  setting: 'auto' | 'paused'
  singleFileMounts: 'refuse' | 'write-in-place'
  /** How each target container sees config.toml. */
  sights: readonly ContainerSight[]
}

export type ApplyPlan =
  | { ok: true; mode: 'paused' | 'hot'; writeMode: 'atomic' | 'in-place'; notes: string[] }
  | { ok: false; message: string; refusals: string[] }

export function planApply(input: PlanInput): ApplyPlan {
  const fileMounts = input.sights.filter((s) => s.kind === 'file')
  const notes: string[] = []
  let writeMode: 'atomic' | 'in-place' = 'atomic'
  if (fileMounts.length > 0) {
    if (input.singleFileMounts === 'refuse') {
      const refusals = fileMounts.map((s) => s.refusal?.text ?? `${s.name} bind-mounts config.toml itself`)
      return {
        ok: false,
        message:
          `${fileMounts.length} container(s) bind-mount config.toml itself (${fileMounts.map((s) => s.name).join(', ')}): ` +
          'after the save they would keep reading the old file. Mount the config directory instead ' +
          `(${fileMounts[0]?.refusal ? `replace "${fileMounts[0].refusal.fix.replace}" with "${fileMounts[0].refusal.fix.with}"` : 'see the Stack tab'}), ` +
          'or set config.singleFileMounts = "write-in-place" to rewrite the file in place (backed up first, not crash-atomic).',
        refusals,
      }
    }
    writeMode = 'in-place'
    notes.push(`written in place for ${fileMounts.map((s) => s.name).join(', ')} (single-file mounts; config.singleFileMounts = write-in-place): not crash-atomic`)
  }

  const mode = input.requested ?? input.setting
  const notHot = input.changes.filter((c) => c.apply !== 'hot')
  if (mode === 'hot') {
    if (notHot.length > 0) {
      return {
        ok: false,
        message: `A hot apply was asked for, but ${notHot.length} changed field(s) are not x-apply hot: ${notHot.map((c) => `${c.pointer} (${c.apply})`).join(', ')}. Apply with the stack paused instead.`,
        refusals: [],
      }
    }
    if (writeMode === 'in-place') {
      return {
        ok: false,
        message: 'A hot apply was asked for, but the file must be written in place for single-file mounts, and a service could read it half-written. Apply with the stack paused instead.',
        refusals: [],
      }
    }
    return { ok: true, mode: 'hot', writeMode, notes }
  }
  if (mode === 'auto' && input.changes.length > 0 && notHot.length === 0) {
    if (writeMode === 'in-place') {
      notes.push('every change is hot, but an in-place write could be read half-done: paused')
      return { ok: true, mode: 'paused', writeMode, notes }
    }
    return { ok: true, mode: 'hot', writeMode, notes }
  }
  if (mode === 'auto' && notHot.length > 0) notes.push(`paused: ${notHot.map((c) => `${c.pointer} (${c.apply})`).join(', ')} not hot`)
  return { ok: true, mode: 'paused', writeMode, notes }
}
