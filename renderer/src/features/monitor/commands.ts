import { getClient } from '../../api/client'
import { messageOf } from '../../api/call-error'
import { confirmAction } from '../../store/confirm'
import { toast } from '../../store/toasts'
import { useMonitor } from './monitor-store'
import type { AgentCommand, CommandType } from './types'

/** Commands sent from this window, so their final state (ack, timeout) can be toasted once. */
const issuedHere = new Set<string>()
const FINAL = new Set<AgentCommand['state']>(['acked', 'rejected', 'timeout', 'expired', 'failed', 'undelivered'])

export interface ParamRow {
  key: string
  value: string
}

/** `42` -> 42, `true` -> true, `null` -> null, `[1,2]`/`{"a":1}`/`"x"` -> parsed JSON, else the text. */
export function parseParamValue(raw: string): unknown {
  const t = raw.trim()
  if (t === '') return ''
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t)
  if (t === 'true') return true
  if (t === 'false') return false
  if (t === 'null') return null
  if (/^[[{"]/.test(t)) {
    try {
      return JSON.parse(t) as unknown
    } catch {
      return raw
    }
  }
  return raw
}

export type TuneParse =
  | { ok: true; params: Record<string, unknown> }
  | { ok: false; error: string; rowErrors: Record<number, string> }

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/

/** The tune form's rows -> params. Blank rows are ignored; at least one parameter is required. */
export function parseTuneParams(rows: readonly ParamRow[]): TuneParse {
  const params: Record<string, unknown> = {}
  const rowErrors: Record<number, string> = {}
  rows.forEach((r, i) => {
    const key = r.key.trim()
    if (key === '' && r.value.trim() === '') return
    if (key === '') rowErrors[i] = 'A parameter needs a name'
    else if (!KEY_RE.test(key)) rowErrors[i] = 'Letters, digits, _ . - (start with a letter or _)'
    else if (key in params) rowErrors[i] = `${key} is set twice`
    else params[key] = parseParamValue(r.value)
  })
  if (Object.keys(rowErrors).length > 0) return { ok: false, error: 'Fix the highlighted parameters', rowErrors }
  if (Object.keys(params).length === 0) return { ok: false, error: 'Tune needs at least one parameter', rowErrors }
  return { ok: true, params }
}

export async function sendCommand(agentId: string, type: CommandType, params?: Record<string, unknown>): Promise<AgentCommand | null> {
  try {
    // wait:false returns at once with the delivery fact; the ack (or timeout) follows in bus.update.
    const c = await getClient().call('bus.command', { agentId, type, wait: false, ...(params ? { params } : {}) })
    useMonitor.getState().upsertCommand(c)
    if (FINAL.has(c.state)) reportFinal(c)
    else {
      issuedHere.add(c.commandId)
      toast.info(...pendingToast(c))
    }
    return c
  } catch (e) {
    toast.error(`Could not send ${type} to ${agentId}`, messageOf(e))
    return null
  }
}

/** The toast of a command on its way, in the words of its transport. */
export function pendingToast(c: AgentCommand): [string, string] {
  if (c.transport === 'http') {
    const until = c.expiresAt ? ` It expires at ${new Date(c.expiresAt).toLocaleTimeString()} if not acknowledged.` : ''
    return c.state === 'queued'
      ? [`${c.type} queued for ${c.agentId}`, `HTTP agent: it takes the command on its next poll of run ${c.runId ?? '?'}, then acknowledges it.${until}`]
      : [`${c.type} delivered to ${c.agentId}`, `The HTTP agent pulled it; waiting for the ack.${until}`]
  }
  return [`${c.type} sent to ${c.agentId}`, `Delivered to ${c.receivers} subscriber(s); waiting for the ack.`]
}

function reportFinal(c: AgentCommand): void {
  const what = `${c.type} → ${c.agentId}`
  const msg = c.message ?? undefined
  if (c.state === 'acked') toast.success(`${what}: acknowledged${c.ackMs !== null ? ` in ${Math.round(c.ackMs)} ms` : ''}`, msg)
  else if (c.state === 'rejected') toast.error(`${what}: rejected by the agent`, msg)
  else if (c.state === 'undelivered') toast.warning(`${what}: nobody is listening`, `No subscriber on the agent's command channel.`)
  else if (c.state === 'timeout') toast.warning(`${what}: no acknowledgement in time`, msg)
  else if (c.state === 'expired')
    toast.warning(`${what}: expired`, c.deliveredAt ? 'The agent pulled it but did not acknowledge it in time.' : 'The agent did not pull it in time; it will never be delivered late.')
  else toast.error(`${what}: ${c.state}`, msg)
}

/** Called with each frame's changed commands: toasts the outcome of the ones sent from here. */
export function noteCommandUpdates(commands: Iterable<AgentCommand>): void {
  for (const c of commands) {
    if (issuedHere.has(c.commandId) && FINAL.has(c.state)) {
      issuedHere.delete(c.commandId)
      reportFinal(c)
    }
  }
}

export async function confirmTerminate(agentId: string, name: string): Promise<void> {
  const r = await confirmAction({
    title: `Terminate ${name}?`,
    message: `Asks agent ${agentId} to stop its process. Whatever supervises it decides whether it comes back; open work may be lost.`,
    confirmLabel: 'Terminate',
    danger: true,
  })
  if (r.ok) await sendCommand(agentId, 'terminate')
}
