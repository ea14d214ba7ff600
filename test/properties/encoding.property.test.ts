/**
 * Canonical decoding, on both the crypto layer and every provider that
 * decodes a signature: each encoder output decodes back to its bytes, and
 * every other spelling of a valid signature (upper case, padding changes,
 * stray trailing bits, another alphabet, whitespace, Unicode look-alikes)
 * is refused, so one signature has exactly one accepted spelling.
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from '../../src/crypto.js'
import { createReceiver, memoryStore, type Provider } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { jsonString } from '../../src/pipeline/respond.js'
import { FIXTURES } from '../support/providers.js'

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Characters that render like `c` or share its low byte (what Buffer.from(…, 'hex') used to read as `c`). */
function lookAlikes(c: string): string[] {
  const code = c.charCodeAt(0)
  const out = [String.fromCharCode(0x100 | code), String.fromCharCode(0xff00 + code - 0x20)]
  if (c >= '0' && c <= '9') out.push(String.fromCharCode(0x660 + code - 0x30)) // Arabic-Indic digit
  return out
}

/** Other spellings of the lower-case hex `text`, each of which must be refused. */
function hexRespellings(text: string, at: number): string[] {
  const i = at % text.length
  const out = [text.slice(0, i) + ' ' + text.slice(i), '0x' + text, text + '0', text.slice(1)]
  if (/[a-f]/.test(text)) out.push(text.toUpperCase())
  const letter = text.search(/[a-f]/)
  if (letter !== -1) out.push(text.slice(0, letter) + text[letter]!.toUpperCase() + text.slice(letter + 1))
  for (const other of lookAlikes(text[i]!)) out.push(text.slice(0, i) + other + text.slice(i + 1))
  return out
}

/** Other spellings of the canonical padded base64 `text`, each of which must be refused. */
function base64Respellings(text: string, at: number): string[] {
  const i = at % text.length
  const out = [text.slice(0, i) + ' ' + text.slice(i), text.slice(0, i) + '\n' + text.slice(i), text + '=']
  const data = text.replace(/=+$/, '')
  if (data !== text) out.push(data) // padding dropped
  const spare = (data.length * 6) % 8
  if (spare !== 0) {
    // The same bytes with a non-zero bit the decoder must ignore: a second spelling, refused.
    const last = B64.indexOf(data[data.length - 1]!)
    out.push(data.slice(0, -1) + B64[last | 1]! + text.slice(data.length))
  }
  if (/[+/]/.test(text)) out.push(text.replace(/\+/g, '-').replace(/\//g, '_'))
  const c = text[i]!
  if (c !== '=') for (const other of lookAlikes(c)) out.push(text.slice(0, i) + other + text.slice(i + 1))
  return out
}

// Under Node the decoders hand validated text to Buffer; elsewhere (Workers) they decode in JS. Both run here.
describe.each([
  ['with node Buffer', false],
  ['without Buffer (Workers, Deno)', true],
])('crypto layer %s: one spelling per value', (_label, hideBuffer) => {
  const { Buffer: realBuffer } = globalThis
  beforeEach(() => {
    if (hideBuffer) vi.stubGlobal('Buffer', undefined)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
  })
  const same = (a: Uint8Array | undefined, b: Uint8Array) =>
    expect(a && realBuffer.from(a).equals(realBuffer.from(b)), 'round trip').toBe(true)

  it('every hex and base64 encoding decodes back to its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        same(decodeHex(encodeHex(bytes)), bytes)
        same(decodeHex(encodeHex(bytes).toUpperCase(), 'upper'), bytes)
        same(decodeBase64(encodeBase64(bytes)), bytes)
        same(decodeBase64(encodeBase64(bytes, 'base64url'), 'base64url'), bytes)
        if (hideBuffer) expect(globalThis.Buffer).toBeUndefined()
      }),
      { numRuns: 500 },
    )
  })

  it('every other spelling of an encoding is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 96 }), fc.nat(), (bytes, at) => {
        for (const text of hexRespellings(encodeHex(bytes), at)) expect(decodeHex(text), text).toBeUndefined()
        for (const text of base64Respellings(encodeBase64(bytes), at)) expect(decodeBase64(text), text).toBeUndefined()
      }),
      { numRuns: 500 },
    )
  })
})

/** The signature as sent: the longest run of the encoding's alphabet in the signature headers (or the body). */
function findSignature(text: string, encoding: 'hex' | 'base64'): string | undefined {
  const runs = text.match(encoding === 'hex' ? /[0-9a-f]{16,}/g : /[A-Za-z0-9+/]{16,}={0,2}/g) ?? []
  return runs.sort((a, b) => b.length - a.length)[0]
}

const decoding = FIXTURES.filter((fixture) => fixture.signatureEncoding !== undefined)

describe.each(decoding.map((fixture) => [fixture.name, fixture] as const))(
  'provider %s: non-canonical signatures',
  (_name, fixture) => {
    const provider: Provider = fixture.make()
    const receiver = createReceiver({
      provider,
      store: memoryStore({ maxKeys: 10_000 }),
      now: () => NOW_MS,
      logger: false,
    })
    const encoding = fixture.signatureEncoding!

    it('the canonical spelling is accepted, and every other spelling of it is refused with a 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[a-z0-9]{6,12}$/), fc.nat(), async (id, at) => {
          const signed = await signRequest(provider, { body: fixture.body(id), id, timestamp: NOW_S, url: fixture.url })
          const body = typeof signed.body === 'string' ? signed.body : new TextDecoder().decode(signed.body)
          const where = fixture.signatureInBody ? undefined : provider.sensitiveHeaders.find((h) => signed.headers[h])
          const carrier = where === undefined ? body : signed.headers[where]!
          const signature = findSignature(carrier, encoding)
          expect(signature, 'signature found').toBeDefined()
          const respell = encoding === 'hex' ? hexRespellings : base64Respellings
          for (const other of respell(signature!, at)) {
            const changed = carrier.replace(signature!, other)
            const headers = where === undefined ? signed.headers : { ...signed.headers, [where]: changed }
            const result = await receiver.handle({
              method: 'POST',
              url: fixture.url,
              headers,
              body: where ? body : changed,
            })
            expect(result.outcome.kind, JSON.stringify(other)).toBe('rejected')
            expect(result.status).toBeGreaterThanOrEqual(400)
            expect(result.status).toBeLessThan(500)
          }
          const original = await receiver.handle({ method: 'POST', url: fixture.url, headers: signed.headers, body })
          expect(original.status).toBe(200)
        }),
        { numRuns: 25 },
      )
    })
  },
)

describe('the id in an answer body', () => {
  it('is spelled exactly as JSON.stringify spells it, for any string', () => {
    // Lone and paired surrogates, quotes, backslashes and control characters included.
    const unit = fc.oneof(
      fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\ud800', '\udc00'),
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    )
    const text = fc.string({ unit })
    fc.assert(
      fc.property(text, (id) => {
        expect(jsonString(id)).toBe(JSON.stringify(id))
      }),
      { numRuns: 2000 },
    )
  })

  it('keeps a plain id as it is', () => {
    expect(jsonString('72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe('"72d3162e-cc78-11e3-81ab-4c9367dc0958"')
    expect(jsonString('')).toBe('""')
    expect(jsonString('a"b\\c\u2028')).toBe('"a\\"b\\\\c\u2028"')
  })
})
