/**
 * The tray icon's menu and tooltip as data, built from the core's safety state (state.get /
 * state.changed). The Electron glue (desktop-shell.ts) turns it into a Menu; all decisions are
 * here, unit-tested: what each line says, which actions are enabled and why not, and which ask
 * for a confirmation first. An unknown fact is said to be unknown, never drawn as a safe default,
 * and an action that depends on it is disabled (as in the window's header).
 */
import type { SafetyStateT } from '@core/api/contract/state'

export type TrayAction = 'show' | 'pause' | 'resume' | 'killswitch' | 'quit'

export interface Confirmation {
  title: string
  message: string
  detail: string
  confirmLabel: string
}

export interface TrayItem {
  id: TrayAction | 'status'
  label: string
  enabled: boolean
  /** Why it is disabled (shown as the item's tooltip where the OS supports it). */
  why?: string
  /** Asked before the action runs. */
  confirm?: Confirmation
}

export interface TrayModel {
  tooltip: string
  items: TrayItem[]
}

export function stackLine(s: SafetyStateT | null): string {
  if (!s) return 'stack: starting…'
  const c = s.containers
  if (!c.known) return `stack unknown: ${c.reason}`
  return `stack: ${c.value.running} running / ${c.value.paused} paused`
}

export function tradingLine(s: SafetyStateT | null): string {
  if (!s) return 'trading: starting…'
  const t = s.trading
  if (!t.known) return `trading unknown: ${t.reason}`
  return `trading ${t.value.enabled ? 'enabled' : 'disabled'} by ${t.value.source}`
}

export function killswitchLine(s: SafetyStateT | null): string {
  if (!s) return 'killswitch: starting…'
  const k = s.killswitch
  if (!k.known) return `killswitch unknown: ${k.reason}`
  if (k.value.engaged) return 'KILLSWITCH ENGAGED'
  return k.value.latched ? 'killswitch released · trading latched off' : 'killswitch off'
}

export function trayMenuModel(s: SafetyStateT | null): TrayModel {
  const lines = [stackLine(s), tradingLine(s), killswitchLine(s)]
  const c = s?.containers
  const k = s?.killswitch
  const pauseWhy = !c
    ? 'starting'
    : !c.known
      ? `stack unknown: ${c.reason}`
      : c.value.running === 0
        ? 'nothing is running'
        : undefined
  const resumeWhy = !c
    ? 'starting'
    : !c.known
      ? `stack unknown: ${c.reason}`
      : c.value.paused === 0
        ? 'nothing is paused'
        : undefined
  const killWhy = !k
    ? 'starting'
    : !k.known
      ? `killswitch unknown (${k.reason}): pause the stack instead, which works at the Docker level`
      : k.value.engaged
        ? 'the killswitch is already engaged'
        : undefined
  const item = (
    id: TrayAction,
    label: string,
    why: string | undefined,
    confirm?: Confirmation,
  ): TrayItem => ({
    id,
    label,
    enabled: why === undefined,
    ...(why !== undefined ? { why } : {}),
    ...(confirm ? { confirm } : {}),
  })
  return {
    tooltip: `Stackdeck\n${lines.join('\n')}`,
    items: [
      ...lines.map((label): TrayItem => ({ id: 'status', label, enabled: false })),
      item('show', 'Show Stackdeck', undefined),
      item('pause', 'Pause stack', pauseWhy),
      item('resume', 'Resume stack', resumeWhy),
      item('killswitch', 'Engage killswitch…', killWhy, {
        title: 'Engage the killswitch?',
        message: 'Engage the killswitch: stop trading now.',
        detail:
          'Every trading agent is told to stop, trading_enabled is set to false, and agents that do not acknowledge are paused. ' +
          'After a release, trading stays off until someone runs Resume trading.',
        confirmLabel: 'Engage killswitch',
      }),
      item('quit', 'Quit Stackdeck…', undefined),
    ],
  }
}
