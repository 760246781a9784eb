/**
 * The draft: edits in the form or the raw editor, their debounced validation by the server, and the
 * form <-> raw conversion (which goes through the server too, so the text keeps its comments).
 */
import { messageOf } from '../../api/call-error'
import { confirmAction } from '../../store/confirm'
import { toast } from '../../store/toasts'
import { adopt, baseVerdict, client, currentValidation, get, isDirty, saveBlocker, set, type Loaded, type Mode, type Validation } from './config-store'
import { applyChanges, deepEqual, type Plain, type Seg, setAt, toPointer } from './pointer'

export const VALIDATE_DEBOUNCE_MS = 250

// ---- editing and validation ------------------------------------------------------------------------

let timer: ReturnType<typeof setTimeout> | null = null

/** Check the draft again after the debounce (at once when it equals the file). */
export function scheduleValidate(): void {
  if (timer) clearTimeout(timer)
  timer = null
  const s = get()
  if (!s.base) return
  if (!isDirty(s)) {
    set({ validation: { seq: s.seq, result: baseVerdict(s.base) }, validating: false, validateError: null })
    return
  }
  set({ validating: true })
  timer = setTimeout(() => void runValidate(), VALIDATE_DEBOUNCE_MS)
}

async function runValidate(): Promise<void> {
  timer = null
  const s = get()
  const seq = s.seq
  const input = s.mode === 'form' ? { value: s.value ?? {} } : { text: s.text }
  try {
    const result = await client().call('config.validate', input)
    if (get().seq !== seq) return
    // A verdict against a newer file than ours is picked up by the on-disk notice (disk-notice.ts).
    set({ validation: { seq, result }, validating: false, validateError: null })
  } catch (e) {
    if (get().seq !== seq) return
    set({ validating: false, validateError: messageOf(e) })
  }
}

export function editValue(path: readonly Seg[], v: unknown): void {
  const s = get()
  const pointer = toPointer(path)
  const localErrors = Object.hasOwn(s.localErrors, pointer) ? { ...s.localErrors } : s.localErrors
  if (localErrors !== s.localErrors) delete localErrors[pointer]
  set({ value: setAt(s.value ?? {}, path, v) as Plain, seq: s.seq + 1, localErrors })
  scheduleValidate()
}

export function setLocalError(pointer: string, message: string | null): void {
  const cur = get().localErrors
  if (message === null && !Object.hasOwn(cur, pointer)) return
  if (message !== null && cur[pointer] === message) return
  const next = { ...cur }
  if (message === null) delete next[pointer]
  else next[pointer] = message
  set({ localErrors: next })
}

export function editText(text: string): void {
  set({ text, seq: get().seq + 1 })
  scheduleValidate()
}

export function setCollapsed(pointer: string, collapsed: boolean): void {
  set({ collapsed: { ...get().collapsed, [pointer]: collapsed } })
}

/** The value that the server says `result` describes: its diff applied to the file it compared with. */
async function valueOfText(result: Validation): Promise<Plain | null> {
  const { base, notice } = get()
  if (!result.diff || !base) return null
  let from: Loaded | null = null
  if (result.baseHash === base.hash) from = base
  else if (result.baseHash === notice?.disk.hash) from = notice.disk
  else {
    const disk = await client().call('config.load', {})
    if (disk.hash === result.baseHash) from = disk
  }
  if (!from) throw new Error('config.toml changed while converting; try again')
  return applyChanges(from.value ?? {}, result.diff.changes)
}

/** Form <-> raw through the server: its text keeps the comments, its diff gives the value. */
export async function switchMode(target: Mode): Promise<void> {
  const s = get()
  if (s.mode === target || !s.base || s.busy) return
  if (timer) clearTimeout(timer)
  timer = null
  set({ busy: 'switch' })
  try {
    if (target === 'raw') {
      const value = s.value ?? {}
      let text: string
      if (deepEqual(value, s.base.value)) text = s.rawOrigin?.text ?? s.base.text
      else if (s.rawOrigin && deepEqual(value, s.rawOrigin.value)) text = s.rawOrigin.text
      else {
        const v = currentValidation(s)
        text = v?.text ?? (await client().call('config.validate', { value })).text ?? s.base.text
        if (s.rawOrigin && s.rawOrigin.text !== s.base.text) {
          toast.warning('Raw-only edits replaced', 'Form edits are applied to the file on disk, so comment or layout changes made in the raw editor were not kept.')
        }
      }
      set({ mode: 'raw', text, rawOrigin: null, seq: get().seq + 1, localErrors: {} })
    } else {
      let value: Plain | null
      if (s.text === s.base.text) value = s.base.value
      else {
        const v = currentValidation(s) ?? (await client().call('config.validate', { text: s.text }))
        if (v.errorKind === 'parse' || !v.diff) {
          toast.error('Fix the TOML first', `The form needs text that parses: ${v.errors[0]?.message ?? 'parse error'}`)
          return
        }
        value = await valueOfText(v)
      }
      if (!value) {
        toast.error('Cannot show the form', 'config.toml does not parse; fix it in Raw TOML')
        return
      }
      set({ mode: 'form', value, rawOrigin: s.text === s.base.text ? null : { text: s.text, value }, seq: get().seq + 1 })
    }
    scheduleValidate()
  } catch (e) {
    toast.error(`Cannot switch to ${target === 'raw' ? 'Raw TOML' : 'the form'}`, messageOf(e))
  } finally {
    set({ busy: null })
  }
}

export async function discardEdits(): Promise<void> {
  if (isDirty()) {
    const r = await confirmAction({ title: 'Discard your edits?', message: 'The editor goes back to the file as loaded.', confirmLabel: 'Discard', danger: true })
    if (!r.ok) return
  }
  const base = get().base
  if (base) adopt(base)
}

// ---- what a write would send ------------------------------------------------------------------------

/** What the current draft would send: the form's value (patched in keeping comments) or raw text. */
export function draftInput(): { value: Plain } | { text: string } | null {
  const s = get()
  if (!s.base) return null
  return s.mode === 'form' ? { value: s.value ?? {} } : { text: s.text }
}

export function describeDraft(): string {
  const v = currentValidation()
  const diff = v?.diff
  if (!diff) return 'Saves the edited config.toml.'
  if (diff.changes.length === 0) return 'Only comments or layout change.'
  const restart = diff.changes.filter((c) => c.apply !== 'hot')
  return `${diff.summary}.${restart.length ? ` ${restart.length} change(s) need a service restart (a reload is not enough): ${restart.map((c) => c.pointer).join(', ')}.` : ' All changes take effect on reload.'}`
}

/** Save & Restart's request, built when the trader presses the button. */
export function restartInput(): ({ value: Plain } | { text: string }) & { baseHash: string } | null {
  const input = draftInput()
  const base = get().base
  if (saveBlocker() || !input || !base) return null
  return { ...input, baseHash: base.hash }
}

