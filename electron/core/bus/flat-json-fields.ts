/**
 * The two fields the history store files an event under (`source`, `agent_id`), read straight off
 * the JSON text of a flat event the ring keeps unparsed (flat-json.ts, flat-json-bytes.ts). The
 * store takes every event, at bus rate: parsing each one would build an object per event and keep
 * it alive in the ring, which is the garbage-collection cost the lazy ring exists to avoid.
 *
 * Only for texts ingest proved flat: strings there hold no escape and no control character, so a
 * string ends at the next quote, and a value that is not a string ends at the next comma or brace.
 * Like JSON.parse, a key given twice takes its last value.
 */

const QUOTE = 34
const COLON = 58
const COMMA = 44
const CLOSE = 125

export interface FlatEventFields {
  /** What eventSource() would answer: `source` when a string, else `agent_id` when a string. */
  source: string | null
  /** `agent_id`, when a string. */
  agent: string | null
}

/** `source` and `agent_id` of a text that isFlatObject / isFlatObjectBytes accepted. */
export function flatEventFields(text: string): FlatEventFields {
  let source: string | null = null
  let agent: string | null = null
  const n = text.length
  let i = text.indexOf('{') + 1
  while (i > 0 && i < n) {
    const keyStart = text.indexOf('"', i)
    if (keyStart < 0) break
    const keyEnd = text.indexOf('"', keyStart + 1)
    if (keyEnd < 0) break
    let j = keyEnd + 1
    while (j < n && text.charCodeAt(j) !== COLON) j++
    j++
    while (j < n && text.charCodeAt(j) <= 32) j++
    let value: string | null = null
    if (text.charCodeAt(j) === QUOTE) {
      const end = text.indexOf('"', j + 1)
      if (end < 0) break
      value = text.slice(j + 1, end)
      j = end + 1
    }
    while (j < n) {
      const c = text.charCodeAt(j)
      if (c === COMMA || c === CLOSE) break
      j++
    }
    const keyLen = keyEnd - keyStart - 1
    // Compare in place: slicing every key would allocate at bus rate.
    if (keyLen === 6 && text.startsWith('source', keyStart + 1)) source = value
    else if (keyLen === 8 && text.startsWith('agent_id', keyStart + 1)) agent = value
    if (j >= n || text.charCodeAt(j) === CLOSE) break
    i = j + 1
  }
  return { source: source ?? agent, agent }
}
