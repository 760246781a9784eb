/**
 * "Start Stackdeck at login, hidden" (settings desktop.autostart). On Linux an XDG autostart entry,
 * `$XDG_CONFIG_HOME/autostart/stackdeck.desktop` (default `~/.config/autostart`), written here;
 * on macOS and Windows Electron's login items (desktop-shell.ts). The entry carries a marker line,
 * and only a file with it is ever removed: a stackdeck.desktop the user wrote is theirs.
 */
import { readFile, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { replaceFileDurably } from '@core/shared/durable-file'
import { HIDDEN_FLAG } from './background-mode'

export const AUTOSTART_MARKER = 'X-Stackdeck-Autostart=true'

export function xdgAutostartPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  // The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = env['XDG_CONFIG_HOME']?.startsWith('/') ? env['XDG_CONFIG_HOME'] : join(home, '.config')
  return join(base, 'autostart', 'stackdeck.desktop')
}

/** The command to start this app hidden: the AppImage, the packaged binary, or electron plus the app path. */
export function autostartCommand(o: {
  isPackaged: boolean
  execPath: string
  appPath: string
  appImage?: string | undefined
}): string[] {
  const base = o.appImage ? [o.appImage] : o.isPackaged ? [o.execPath] : [o.execPath, o.appPath]
  return [...base, HIDDEN_FLAG]
}

/** Quotes one Exec argument as the Desktop Entry Specification asks (reserved characters, `%`). */
export function quoteExecArg(arg: string): string {
  const escaped = arg.replace(/%/g, '%%')
  if (!/[\s"'\\><~|&;$*?#()`=]/.test(escaped)) return escaped
  return `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`
}

export function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Stackdeck',
    "Comment=Trader's cockpit for a Docker-run trading stack (started hidden at login)",
    `Exec=${command.map(quoteExecArg).join(' ')}`,
    'Icon=stackdeck',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    AUTOSTART_MARKER,
    '',
  ].join('\n')
}

export type AutostartChange = 'written' | 'removed' | 'unchanged' | 'left-foreign'

/** Writes the entry (enabled) or removes ours (disabled). `left-foreign`: a file not ours is in the way. */
export async function applyXdgAutostart(
  enabled: boolean,
  command: readonly string[],
  path: string = xdgAutostartPath(),
): Promise<AutostartChange> {
  let current: string | null = null
  try {
    current = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const ours = current !== null && current.includes(AUTOSTART_MARKER)
  if (current !== null && !ours) return 'left-foreign'
  if (!enabled) {
    if (!ours) return 'unchanged'
    await rm(path, { force: true })
    return 'removed'
  }
  const text = autostartEntry(command)
  if (current === text) return 'unchanged'
  await replaceFileDurably(path, text, { mode: 0o644 })
  return 'written'
}
