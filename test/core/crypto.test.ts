import { createHash, createHmac, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  constantTimeEqual,
  decodeBase64,
  decodeHex,
  encodeBase64,
  encodeHex,
  nodeCryptoBackend,
  webCryptoBackend,
  type HmacAlgorithm,
} from '../../src/crypto.js'

const node = nodeCryptoBackend()!
const web = webCryptoBackend()

describe('crypto backends', () => {
  it('node:crypto and Web Crypto compute identical HMACs, fed in pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<HmacAlgorithm>('sha1', 'sha256', 'sha512'),
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.array(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 300 })), { maxLength: 5 }),
        async (algorithm, key, pieces) => {
          const a = await node.hmac(algorithm, key, pieces)
          const b = await web.hmac(algorithm, key, pieces)
          const reference = createHmac(algorithm, key)
          for (const piece of pieces) reference.update(piece)
          expect(encodeHex(a)).toBe(reference.digest('hex'))
          expect(encodeHex(b)).toBe(encodeHex(a))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('node:crypto and Web Crypto compute identical SHA-256 digests, as plain byte arrays', async () => {
    // FIPS 180-2's "abc" vector: its bytes run above 0x7f, so a lossy string step would show.
    const abc = new TextEncoder().encode('abc')
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    expect(encodeHex(await node.digest('sha256', abc))).toBe(expected)
    expect(encodeHex(await web.digest('sha256', abc))).toBe(expected)
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (data) => {
        const a = await node.digest('sha256', data)
        expect(a.length).toBe(32)
        expect(encodeHex(a)).toBe(createHash('sha256').update(data).digest('hex'))
        expect(encodeHex(await web.digest('sha256', data))).toBe(encodeHex(a))
      }),
      { numRuns: 100 },
    )
  })

  it('Ed25519 signatures made by one backend verify on both, and a flipped bit fails on both', async () => {
    const seed = randomBytes(32)
    const message = new TextEncoder().encode('msg_1.1700000000.{"a":1}')
    const signature = await node.signEd25519(seed, message)
    expect(encodeHex(await web.signEd25519(seed, message))).toBe(encodeHex(signature))
    const { createPrivateKey, createPublicKey } = await import('node:crypto')
    const der = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    })
    const publicKey = new Uint8Array(createPublicKey(der).export({ format: 'der', type: 'spki' }).subarray(12))
    expect(await node.verifyEd25519(publicKey, message, signature)).toBe(true)
    expect(await web.verifyEd25519(publicKey, message, signature)).toBe(true)
    const flipped = Uint8Array.from(signature)
    flipped[10]! ^= 1
    expect(await node.verifyEd25519(publicKey, message, flipped)).toBe(false)
    expect(await web.verifyEd25519(publicKey, message, flipped)).toBe(false)
    expect(await node.verifyEd25519(publicKey, message, signature.subarray(0, 63))).toBe(false)
  })

  it('constantTimeEqual compares bytes and refuses different lengths', () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true)
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false)
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false)
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true)
  })
})

describe('strict decoding', () => {
  it('base64 round-trips and matches Buffer for every byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64'))
        expect(Buffer.from(decodeBase64(text)!).equals(Buffer.from(bytes))).toBe(true)
        const url = encodeBase64(bytes, 'base64url')
        expect(url).toBe(Buffer.from(bytes).toString('base64url'))
        expect(Buffer.from(decodeBase64(url, 'base64url')!).equals(Buffer.from(bytes))).toBe(true)
      }),
    )
  })

  it.each([
    ['missing padding', 'YWI'],
    ['excess padding', 'YWI=='],
    ['padding inside', 'YQ==YWI='],
    ['non-canonical trailing bits', 'YWJ='],
    ['url alphabet in standard base64', 'ab-_'],
    ['whitespace', 'YWJj ZA=='],
    ['newline', 'YWJj\nZA=='],
    ['non-ASCII', 'YWJjé==='],
    ['length 1 mod 4', 'YWJjZ'],
  ])('base64 rejects %s', (_title, text) => {
    expect(decodeBase64(text)).toBeUndefined()
  })

  it('any string that decodes strictly re-encodes to itself (one spelling per value)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ '.split('')),
          maxLength: 24,
        }),
        (text) => {
          const bytes = decodeBase64(text)
          if (bytes) expect(encodeBase64(bytes)).toBe(text)
        },
      ),
    )
  })

  it('hex is lower case by default (what every built-in sender emits), rejects odd lengths and non-hex', () => {
    expect(encodeHex(decodeHex('00ffab')!)).toBe('00ffab')
    for (const bad of ['0', 'abc', '0g', ' 00', '00 ', '0x00', 'éé', '00FF', '00fF'])
      expect(decodeHex(bad)).toBeUndefined()
    expect(decodeHex('')?.length).toBe(0)
    expect(encodeHex(decodeHex('00FFab', 'any')!)).toBe('00ffab')
    expect(encodeHex(decodeHex('00FFAB', 'upper')!)).toBe('00ffab')
    expect(decodeHex('00ffab', 'upper')).toBeUndefined()
  })

  it('decodes slices of header values, values longer than its reused buffer, and keeps earlier results intact', () => {
    const mac = encodeHex(new Uint8Array(32).map((_, i) => i * 7))
    const header = `sha256=${mac}`
    const first = decodeHex(header.slice(7))!
    expect(encodeHex(first)).toBe(mac)
    const long = encodeHex(new Uint8Array(3000).map((_, i) => i % 251))
    expect(encodeHex(decodeHex(long)!)).toBe(long)
    const longBase64 = encodeBase64(new Uint8Array(2000).map((_, i) => i % 253))
    expect(encodeBase64(decodeBase64(`v1,${longBase64}`.slice(3))!)).toBe(longBase64)
    // A later decode (and its non-ASCII refusal) leaves an earlier result alone.
    expect(decodeHex(`${mac.slice(0, 62)}\u00e9a`)).toBeUndefined()
    expect(decodeBase64('AAAA\u{1F600}')).toBeUndefined()
    expect(encodeHex(first)).toBe(mac)
  })

  it('decodes exactly what the canonical patterns accept, to the bytes Buffer gives (one-pass decoders)', () => {
    const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
    const base64url = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/
    const hex = /^(?:[0-9a-f]{2})*$/
    const text = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9+/=_-]{0,12}$/),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64url')),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('hex')),
      fc.string({ maxLength: 12 }),
    )
    fc.assert(
      fc.property(text, (value) => {
        for (const [alphabet, pattern] of [
          ['base64', base64],
          ['base64url', base64url],
        ] as const) {
          const decoded = decodeBase64(value, alphabet)
          // Canonical: the pattern, and no stray bits (re-encoding gives the same text).
          const accepted = pattern.test(value) && Buffer.from(value, alphabet).toString(alphabet) === value
          expect(decoded !== undefined).toBe(accepted)
          if (decoded) expect(Buffer.from(decoded).equals(Buffer.from(value, alphabet))).toBe(true)
        }
        const bytes = decodeHex(value)
        expect(bytes !== undefined).toBe(hex.test(value))
        if (bytes) expect(Buffer.from(bytes).toString('hex')).toBe(value)
      }),
      { numRuns: 3000 },
    )
  })

  it('never reads a non-ASCII character as a hex digit (Buffer.from reads U+0161 as "a")', () => {
    expect(Buffer.from('\u0161\u0161', 'hex')).toHaveLength(1)
    for (const letterCase of ['lower', 'upper', 'any'] as const) {
      for (const text of ['\u0161\u0161', 'a\u0161', '\u0130\u0130', '\uff10\uff10', '\u0660\u0661'])
        expect(decodeHex(text, letterCase)).toBeUndefined()
    }
  })
})
