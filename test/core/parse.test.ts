import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAscii, lowBytes } from '../../src/internal/parse.js'

describe('byte helpers behind the signed-text schemes', () => {
  it('lowBytes cuts every UTF-16 unit to its low byte, lone surrogates and astral characters included', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 })),
        (text) => {
          const units = new Uint8Array(text.length)
          for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i) & 0xff
          expect([...lowBytes(text)]).toEqual([...units])
        },
      ),
      { numRuns: 300 },
    )
    expect([...lowBytes('–\ud83d')]).toEqual([0x13, 0x3d])
  })

  it('isAscii is false exactly when some byte is above 0x7f, wherever it sits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(isAscii(bytes)).toBe(bytes.every((b) => b <= 0x7f))
        expect(isAscii(bytes.subarray(1))).toBe(bytes.subarray(1).every((b) => b <= 0x7f))
      }),
      { numRuns: 300 },
    )
  })
})
