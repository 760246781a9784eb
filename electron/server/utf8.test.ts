import { describe, expect, it } from 'vitest'
import { decodeUtf8Strict, firstInvalidUtf8Offset, InvalidUtf8 } from './utf8'

const bytes = (...xs: number[]) => Uint8Array.from(xs)
const withText = (pre: string, bad: number[], post: string) =>
  Buffer.concat([Buffer.from(pre), Buffer.from(bad), Buffer.from(post)])

describe('strict UTF-8', () => {
  it('decodes well-formed text, keeping a BOM (JSON.parse then refuses it as before)', () => {
    expect(decodeUtf8Strict(Buffer.from('{"a":"é😀"}'))).toBe('{"a":"é😀"}')
    expect(decodeUtf8Strict(Buffer.from('\uFEFF{}'))).toBe('\uFEFF{}')
  })

  it('names the offset and value of a raw 0xE9 (Latin-1 é) inside a JSON string', () => {
    const body = withText('{"text":"caf', [0xe9], '"}')
    expect(() => decodeUtf8Strict(body)).toThrow(InvalidUtf8)
    try {
      decodeUtf8Strict(body)
    } catch (err) {
      expect((err as InvalidUtf8).offset).toBe(12)
      expect((err as InvalidUtf8).message).toBe('invalid UTF-8: byte 0xE9 at offset 12')
    }
  })

  it('finds every class of ill-formed sequence at its first byte', () => {
    const cases: Array<[number[], number]> = [
      [[0x80], 0], // stray continuation
      [[0xff], 0],
      [[0xc0, 0x80], 0], // overlong NUL
      [[0xc3, 0x28], 0], // bad continuation
      [[0xe0, 0x80, 0x80], 0], // overlong 3-byte
      [[0xed, 0xa0, 0x80], 0], // encoded surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x41, 0xe2, 0x82], 1], // truncated at the end
      [[0x41, 0xc3, 0xa9, 0xf0, 0x9f, 0x98], 3],
    ]
    for (const [b, at] of cases) {
      expect(firstInvalidUtf8Offset(bytes(...b)), JSON.stringify(b)).toBe(at)
      expect(() => decodeUtf8Strict(bytes(...b))).toThrow(`at offset ${at}`)
    }
    expect(firstInvalidUtf8Offset(Buffer.from('plain é 😀 ok'))).toBe(-1)
  })
})
