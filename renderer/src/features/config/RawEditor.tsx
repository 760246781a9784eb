/**
 * The raw config.toml editor: a plain textarea (no editor library: nothing to load under the CSP)
 * with a line-number gutter and error lines marked in the gutter and behind the text.
 */
import { useMemo, useRef } from 'react'
import { useConfig, type Issue } from './config-store'
import { editText } from './draft'

/** Must match the line-height in config.css: the gutter and the markers are laid out by it. */
const LINE_H = 20
const PAD_TOP = 8
export const RAW_ID = 'cfg-raw'

export function focusRawLine(line: number, column = 1): void {
  const ta = document.getElementById(RAW_ID)
  if (!(ta instanceof HTMLTextAreaElement)) return
  const lines = ta.value.split('\n')
  let offset = 0
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1
  offset += Math.max(0, Math.min(column - 1, lines[line - 1]?.length ?? 0))
  ta.focus()
  ta.setSelectionRange(offset, offset)
  ta.scrollTop = Math.max(0, (line - 4) * LINE_H)
}

function byLine(errors: readonly Issue[] | undefined): Map<number, string[]> {
  const out = new Map<number, string[]>()
  for (const e of errors ?? []) {
    if (!e.line) continue
    out.set(e.line, [...(out.get(e.line) ?? []), `${e.column ? `${e.line}:${e.column} ` : ''}${e.path && !e.path.includes(':') ? `${e.path} ` : ''}${e.message}`])
  }
  return out
}

export function RawEditor() {
  const text = useConfig((s) => s.text)
  const errors = useConfig((s) => s.validation?.result.errors)
  const lineCount = useMemo(() => text.split('\n').length, [text])
  const marks = useMemo(() => byLine(errors), [errors])
  const gutter = useRef<HTMLDivElement>(null)
  const layer = useRef<HTMLDivElement>(null)
  const numbers = useMemo(
    () =>
      Array.from({ length: lineCount }, (_, i) => {
        const msgs = marks.get(i + 1)
        return (
          <div key={i} className={msgs ? 'cfg-gutter-err' : undefined} title={msgs?.join('\n')} data-testid={msgs ? `raw-error-line-${i + 1}` : undefined}>
            {i + 1}
          </div>
        )
      }),
    [lineCount, marks],
  )
  return (
    <div className="cfg-raw" data-testid="raw-editor">
      <div className="cfg-gutter" ref={gutter} aria-hidden>
        {numbers}
      </div>
      <div className="cfg-raw-main">
        <div className="cfg-raw-marks" ref={layer} aria-hidden>
          {[...marks.keys()].map((line) => (
            <div key={line} className="cfg-raw-mark" style={{ top: PAD_TOP + (line - 1) * LINE_H }} />
          ))}
        </div>
        <textarea
          id={RAW_ID}
          className="code cfg-raw-text"
          wrap="off"
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          aria-label="config.toml, raw TOML"
          aria-invalid={marks.size > 0}
          aria-describedby="cfg-issues"
          value={text}
          onChange={(e) => editText(e.target.value)}
          onScroll={(e) => {
            const ta = e.currentTarget
            if (gutter.current) gutter.current.scrollTop = ta.scrollTop
            if (layer.current) layer.current.style.transform = `translateY(${-ta.scrollTop}px)`
          }}
        />
      </div>
    </div>
  )
}
