import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Settings } from './settings-schema'

/**
 * Where an instance keeps its own state: `settings.stateDir`, or `~/.local/state/stackdeck`. One
 * function, because the instance lock is taken on this directory before the core that fills it is
 * built, and both must mean the same directory.
 */
export function stateDirOf(settings: Pick<Settings, 'stateDir'>): string {
  return settings.stateDir || join(homedir(), '.local', 'state', 'stackdeck')
}
