import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bodyText, isAscii, lowBytes } from '../../src/internal/parse.js'

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

  it('bodyText reads exactly what a fatal UTF-8 decoder reads, and refuses what it refuses', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true })
    const decoded = (bytes: Uint8Array) => {
      try {
        return fatal.decode(bytes)
      } catch {
        return 'refused'
      }
    }
    const read = (bytes: Uint8Array) => {
      try {
        return bodyText(bytes)
      } catch {
        return 'refused'
      }
    }
    const text = fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'binary' }), fc.string())
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      text.map((t) => new TextEncoder().encode(t)),
      // A byte order mark before ASCII or other text.
      text.map((t) => new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(t)])),
    )
    fc.assert(
      fc.property(bytes, fc.nat(3), (body, offset) => {
        // At an offset inside a larger buffer, as a body read from a socket is.
        const inside = new Uint8Array(body.length + offset + 2)
        inside.set(body, offset)
        expect(read(inside.subarray(offset, offset + body.length))).toBe(decoded(body))
      }),
      { numRuns: 500 },
    )
  })
})
