import { create } from 'zustand'
import { getClient } from '../../api/client'
import { toast } from '../../store/toasts'
import type { AgentDied, Killswitch } from './types'

/**
 * Desktop notifications for an agent dying or the killswitch engaging. In a browser (headless
 * host) they use the Notification API, asked for on a click; in Electron the main process already
 * notifies for `app.alert`, so only the in-app toasts are shown there.
 */

export type NotifyPermission = NotificationPermission | 'unsupported' | 'app'

const hasApi = () => typeof Notification !== 'undefined'

function currentPermission(): NotifyPermission {
  try {
    if (getClient().door === 'ipc') return 'app'
  } catch {
    // no client yet: decide from the browser alone
  }
  return hasApi() ? Notification.permission : 'unsupported'
}

export const useNotifyPermission = create<{ permission: NotifyPermission; refresh(): void }>((set) => ({
  permission: 'unsupported',
  refresh: () => set({ permission: currentPermission() }),
}))

/** Must run inside a click handler: browsers only ask on a user gesture. */
export async function requestNotifications(): Promise<void> {
  if (!hasApi()) {
    toast.warning('This browser has no desktop notifications', 'Deaths and the killswitch still show here as alerts.')
    return
  }
  const p = await Notification.requestPermission()
  useNotifyPermission.getState().refresh()
  if (p === 'granted') toast.success('Desktop notifications on', 'You will be told when an agent dies or the killswitch engages.')
  else toast.warning('Desktop notifications blocked', 'Deaths and the killswitch will show as in-app alerts only.')
}

function desktop(title: string, body: string, tag: string, urgent: boolean): void {
  if (currentPermission() !== 'granted') return
  try {
    const n = new Notification(title, { body, tag, requireInteraction: urgent })
    n.onclick = () => {
      window.focus()
      n.close()
    }
  } catch {
    // Some platforms refuse constructing notifications (e.g. only via a service worker): the toast stands.
  }
}

// ---- agent deaths: coalesced, so a mass outage is one notification, not a thousand -------------

const DEATH_WINDOW_MS = 1000
let deaths: AgentDied[] = []
let deathTimer: ReturnType<typeof setTimeout> | null = null

export function describeDeaths(list: readonly AgentDied[]): { title: string; body: string } {
  const first = list[0]
  if (list.length === 1 && first) {
    return {
      title: `Agent died: ${first.name}`,
      body: `${first.agentId} (${first.group}) has been silent for ${Math.round(first.secondsSinceBeat)} s.`,
    }
  }
  const names = list.slice(0, 5).map((d) => d.agentId)
  const more = list.length > names.length ? ` and ${list.length - names.length} more` : ''
  return { title: `${list.length} agents died`, body: `${names.join(', ')}${more}.` }
}

function flushDeaths(): void {
  deathTimer = null
  const list = deaths
  deaths = []
  if (list.length === 0) return
  const { title, body } = describeDeaths(list)
  toast.warning(title, body)
  desktop(title, body, 'stackdeck-agent-died', false)
}

export function noteAgentDied(d: AgentDied): void {
  deaths.push(d)
  deathTimer ??= setTimeout(flushDeaths, DEATH_WINDOW_MS)
}

// ---- killswitch ---------------------------------------------------------------------------------

let knownEngaged: boolean | null = null
/** Until when an engage from this window is in flight: its own result says it, no second alarm. */
let localUntil = 0

/** Call before engaging from this window (`done` after it answered: a short grace period follows). */
export function noteLocalEngage(done = false): void {
  localUntil = Date.now() + (done ? 3_000 : 120_000)
}

export function noteKillswitch(k: Killswitch): void {
  const was = knownEngaged
  knownEngaged = k.engaged
  if (was !== false || !k.engaged || Date.now() < localUntil) return
  const title = 'KILLSWITCH ENGAGED'
  const body = `${k.reason ?? 'no reason given'} — by ${k.who ?? 'unknown'}`
  toast.error(title, body)
  desktop(title, body, 'stackdeck-killswitch', true)
}

let started = false

/**
 * Listens for deaths and killswitch changes for the whole session, whichever tab is open. The
 * Monitor tab calls it on mount; the module also tries once right after the app has set up its
 * client, so the alarms work before anyone opens the tab.
 */
export function startMonitorAlerts(): void {
  if (started) return
  let client
  try {
    client = getClient()
  } catch {
    return // no client (token gate): the page reloads once a token is given
  }
  started = true
  useNotifyPermission.getState().refresh()
  client.on('bus.agentDied', noteAgentDied)
  client.on('bus.update', (u) => {
    if (u.killswitch) noteKillswitch(u.killswitch)
  })
  client.call('bus.killswitch.get', {}).then(
    (k) => {
      if (knownEngaged === null) knownEngaged = k.engaged
    },
    () => undefined,
  )
}

if (typeof window !== 'undefined') setTimeout(startMonitorAlerts, 0)
