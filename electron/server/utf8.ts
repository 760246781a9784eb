/**
 * Strict UTF-8 decoding for request bodies and WebSocket frames. `Buffer#toString('utf8')`
 * silently turns bad bytes into U+FFFD, so a raw 0xE9 in `text` used to be saved as "�" and then
 * compared as "no changes"; here it is refused, and the refusal says where the bad byte sits.
 */
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export class InvalidUtf8 extends Error {
  constructor(
    readonly offset: number,
    readonly byte: number,
  ) {
    super(`invalid UTF-8: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} at offset ${offset}`)
    this.name = 'InvalidUtf8'
  }
}

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
 * (Unicode 15, table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or -1.
 * Only called once the fast fatal decoder has already failed, so its speed does not matter.
 */
export function firstInvalidUtf8Offset(buf: Uint8Array): number {
  let i = 0
  while (i < buf.length) {
    const b = buf[i] as number
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) lo = 0xa0
      if (b === 0xed) hi = 0x9f // would encode a surrogate
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) lo = 0x90
      if (b === 0xf4) hi = 0x8f // above U+10FFFF
    } else return i
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]
      // The first continuation byte has the narrowed range; the rest are plain 80..BF.
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf]
      if (c === undefined || c < min || c > max) return i
    }
    i += need + 1
  }
  return -1
}

/** Decodes strictly; throws InvalidUtf8 naming the offset and value of the first bad byte. */
export function decodeUtf8Strict(buf: Uint8Array): string {
  try {
    return strict.decode(buf)
  } catch {
    const offset = firstInvalidUtf8Offset(buf)
    const at = offset < 0 ? buf.length : offset
    throw new InvalidUtf8(at, buf[at] ?? 0)
  }
}
