/**
 * Crypto primitives behind every provider: HMAC fed in pieces (no string
 * concatenation of the body), constant-time comparison after a length check,
 * Ed25519 and RSA/ECDSA verification, and strict, canonical decoders. Uses
 * node:crypto when the runtime has it and Web Crypto otherwise; both give
 * the same results, and the decoders are one pure implementation for both.
 *
 * @module
 */

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512'
export type Piece = string | Uint8Array

export interface CryptoBackend {
  readonly kind: 'node' | 'web'
  /** HMAC over the concatenation of `pieces` (strings as UTF-8). */
  hmac(algorithm: HmacAlgorithm, key: Uint8Array, pieces: readonly Piece[]): Uint8Array | Promise<Uint8Array>
  digest(algorithm: 'sha256', data: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** Ed25519 signature check with a 32-byte raw public key. */
  verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>
  /** Ed25519 signing with a 32-byte seed (tests and signing helpers only). */
  signEd25519(seed: Uint8Array, message: Uint8Array): Uint8Array | Promise<Uint8Array>
  randomBytes(length: number): Uint8Array
  /**
   * Public-key signature check with a DER SubjectPublicKeyInfo key (PayPal's
   * RSA certificates, SendGrid's ECDSA key). ECDSA signatures are DER, as in
   * X.509. RSA keys under 2048 bits and keys of another type or curve than
   * `algorithm` never verify. Optional so custom backends written before it
   * still type-check; the providers that need it refuse a backend without it.
   */
  verifyPublicKey?(
    algorithm: PublicKeyAlgorithm,
    spki: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean | Promise<boolean>
}

/** Public-key signature schemes {@link CryptoBackend.verifyPublicKey} knows. */
export type PublicKeyAlgorithm =
  'rsa-pkcs1-sha256' | 'rsa-pkcs1-sha384' | 'rsa-pkcs1-sha512' | 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384'

const encoder = new TextEncoder()

/**
 * A standalone copy of the bytes as an ArrayBuffer, for Web Crypto. Never
 * `bytes.buffer`, nor `Buffer#slice().buffer`: a Node Buffer is often a view
 * into a shared pool, and its `.buffer` holds other data.
 */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer
}

export function toBytes(piece: Piece): Uint8Array {
  return typeof piece === 'string' ? encoder.encode(piece) : piece
}

export function concatBytes(pieces: readonly Piece[]): Uint8Array {
  const parts = pieces.map(toBytes)
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Constant time for equal lengths; different lengths return false at once (length is not secret).
 * MACs and signatures (up to 64 bytes) are compared by a loop without an early exit: handing a
 * small on-heap Uint8Array to node:crypto first moves it off the heap, which costs more than the compare.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  if (nodeCrypto && a.length > 64) return nodeCrypto.timingSafeEqual(a, b)
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

type NodeCrypto = typeof import('node:crypto')
type KeyObject = import('node:crypto').KeyObject

// getBuiltinModule avoids a static import, so bundles for Workers still load.
const nodeCrypto: NodeCrypto | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  } catch {
    return undefined
  }
})()

/** node:crypto itself, for modules that use more of it than the backend offers (X.509). */
export function nodeCryptoModule(): NodeCrypto | undefined {
  return nodeCrypto
}

// PKCS#8 / SPKI prefixes for a raw 32-byte Ed25519 key.
const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

const MIN_RSA_BITS = 2048

type PublicKeySpec =
  | { kind: 'rsa'; hash: string; webHash: string }
  | { kind: 'ec'; hash: string; webHash: string; nodeCurve: string; webCurve: string; size: number }

const PUBLIC_KEY_ALGORITHMS: Record<PublicKeyAlgorithm, PublicKeySpec> = {
  'rsa-pkcs1-sha256': { kind: 'rsa', hash: 'sha256', webHash: 'SHA-256' },
  'rsa-pkcs1-sha384': { kind: 'rsa', hash: 'sha384', webHash: 'SHA-384' },
  'rsa-pkcs1-sha512': { kind: 'rsa', hash: 'sha512', webHash: 'SHA-512' },
  'ecdsa-p256-sha256': {
    kind: 'ec',
    hash: 'sha256',
    webHash: 'SHA-256',
    nodeCurve: 'prime256v1',
    webCurve: 'P-256',
    size: 32,
  },
  'ecdsa-p384-sha384': {
    kind: 'ec',
    hash: 'sha384',
    webHash: 'SHA-384',
    nodeCurve: 'secp384r1',
    webCurve: 'P-384',
    size: 48,
  },
}

/** Whether a node KeyObject is of the type, size and curve `spec` requires (same rules as the Web Crypto path). */
export function nodeKeyFits(keyObject: KeyObject, algorithm: PublicKeyAlgorithm): boolean {
  const spec = PUBLIC_KEY_ALGORITHMS[algorithm]
  if (!spec) return false
  const details = keyObject.asymmetricKeyDetails ?? {}
  if (spec.kind === 'rsa') return keyObject.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS
  return keyObject.asymmetricKeyType === 'ec' && details.namedCurve === spec.nodeCurve
}

function nodeEd25519(c: NodeCrypto): Pick<CryptoBackend, 'verifyEd25519' | 'signEd25519'> {
  const publicKeys = new WeakMap<Uint8Array, KeyObject>()
  return {
    verifyEd25519(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false
      let keyObject = publicKeys.get(publicKey)
      if (!keyObject) {
        const der = Buffer.from(concatBytes([ED25519_SPKI_PREFIX, publicKey]))
        keyObject = c.createPublicKey({ key: der, format: 'der', type: 'spki' })
        publicKeys.set(publicKey, keyObject)
      }
      try {
        return c.verify(null, message, keyObject, signature)
      } catch {
        return false
      }
    },
    signEd25519(seed, message) {
      const der = Buffer.from(concatBytes([ED25519_PKCS8_PREFIX, seed]))
      return c.sign(null, message, c.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))
    },
  }
}

function nodePublicKeyVerifier(c: NodeCrypto): NonNullable<CryptoBackend['verifyPublicKey']> {
  const spkiKeys = new WeakMap<Uint8Array, KeyObject | null>()
  return function verifyPublicKey(algorithm, spki, message, signature) {
    const spec = PUBLIC_KEY_ALGORITHMS[algorithm]
    if (!spec) return false
    let keyObject = spkiKeys.get(spki)
    if (keyObject === undefined) {
      try {
        keyObject = c.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
      } catch {
        keyObject = null
      }
      spkiKeys.set(spki, keyObject)
    }
    if (keyObject === null || !nodeKeyFits(keyObject, algorithm)) return false
    // Same strict DER rules as the Web Crypto path, so both backends agree.
    if (spec.kind === 'ec' && !ecdsaDerToRaw(signature, spec.size)) return false
    try {
      return c.verify(spec.hash, message, keyObject, signature)
    } catch {
      return false
    }
  }
}

/**
 * The bytes of a digest node:crypto gave as a `binary` (latin1) string. A digest as a
 * Buffer costs about 0.8 µs more (measured at 2 KiB): node makes an off-heap
 * backing store per call, which the GC then tracks. A string is made on the
 * heap, and a MAC-sized Uint8Array is too, so this copy is the cheaper way.
 */
function binaryStringBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

function createNodeBackend(c: NodeCrypto): CryptoBackend {
  // A KeyObject per key: createHmac then skips importing the raw key on every call (profiled: ~8% at 2 KiB).
  const hmacKeys = new WeakMap<Uint8Array, KeyObject>()
  return {
    kind: 'node',
    hmac(algorithm, key, pieces) {
      let keyObject = hmacKeys.get(key)
      if (keyObject === undefined) hmacKeys.set(key, (keyObject = c.createSecretKey(key)))
      const mac = c.createHmac(algorithm, keyObject)
      for (let i = 0; i < pieces.length; i++) mac.update(pieces[i]!)
      return binaryStringBytes(mac.digest('binary'))
    },
    digest(algorithm, data) {
      return binaryStringBytes(c.createHash(algorithm).update(data).digest('binary'))
    },
    ...nodeEd25519(c),
    randomBytes(length) {
      return c.randomBytes(length)
    },
    verifyPublicKey: nodePublicKeyVerifier(c),
  }
}

const WEB_HASH: Record<HmacAlgorithm, string> = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' }

function webEd25519(subtle: SubtleCrypto): Pick<CryptoBackend, 'verifyEd25519' | 'signEd25519'> {
  const edKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>()
  return {
    async verifyEd25519(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false
      let cryptoKey = edKeys.get(publicKey)
      if (!cryptoKey) {
        cryptoKey = subtle.importKey('raw', toArrayBuffer(publicKey), { name: 'Ed25519' }, false, ['verify'])
        edKeys.set(publicKey, cryptoKey)
      }
      try {
        return await subtle.verify(
          { name: 'Ed25519' },
          await cryptoKey,
          toArrayBuffer(signature),
          toArrayBuffer(message),
        )
      } catch {
        return false
      }
    },
    async signEd25519(seed, message) {
      const pkcs8 = toArrayBuffer(concatBytes([ED25519_PKCS8_PREFIX, seed]))
      const key = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
      return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, toArrayBuffer(message)))
    },
  }
}

function webPublicKeyVerifier(subtle: SubtleCrypto): NonNullable<CryptoBackend['verifyPublicKey']> {
  const spkiKeys = new WeakMap<Uint8Array, Map<PublicKeyAlgorithm, Promise<CryptoKey | null>>>()
  function importSpki(algorithm: PublicKeyAlgorithm, spec: PublicKeySpec, spki: Uint8Array): Promise<CryptoKey | null> {
    let byAlg = spkiKeys.get(spki)
    if (!byAlg) spkiKeys.set(spki, (byAlg = new Map()))
    let cached = byAlg.get(algorithm)
    if (!cached) {
      const params =
        spec.kind === 'rsa'
          ? { name: 'RSASSA-PKCS1-v1_5', hash: spec.webHash }
          : { name: 'ECDSA', namedCurve: spec.webCurve }
      cached = subtle.importKey('spki', toArrayBuffer(spki), params, false, ['verify']).catch(() => null)
      byAlg.set(algorithm, cached)
    }
    return cached
  }
  return async function verifyPublicKey(algorithm, spki, message, signature) {
    const spec = PUBLIC_KEY_ALGORITHMS[algorithm]
    if (!spec) return false
    const key = await importSpki(algorithm, spec, spki)
    if (!key) return false
    let raw: Uint8Array | undefined = signature
    if (spec.kind === 'rsa') {
      if (((key.algorithm as RsaHashedKeyAlgorithm).modulusLength ?? 0) < MIN_RSA_BITS) return false
    } else if (!(raw = ecdsaDerToRaw(signature, spec.size))) return false
    const params = spec.kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: spec.webHash }
    try {
      return await subtle.verify(params, key, toArrayBuffer(raw), toArrayBuffer(message))
    } catch {
      return false
    }
  }
}

function createWebBackend(subtle: SubtleCrypto, getRandomValues: (a: Uint8Array) => Uint8Array): CryptoBackend {
  // importKey is costly; keys are long-lived secrets, so cache per key object.
  const hmacKeys = new WeakMap<Uint8Array, Map<HmacAlgorithm, Promise<CryptoKey>>>()
  function hmacKey(algorithm: HmacAlgorithm, key: Uint8Array): Promise<CryptoKey> {
    let byAlg = hmacKeys.get(key)
    if (!byAlg) hmacKeys.set(key, (byAlg = new Map()))
    let cached = byAlg.get(algorithm)
    if (!cached) {
      const params = { name: 'HMAC', hash: WEB_HASH[algorithm] }
      cached = subtle.importKey('raw', toArrayBuffer(key), params, false, ['sign'])
      byAlg.set(algorithm, cached)
    }
    return cached
  }
  return {
    kind: 'web',
    async hmac(algorithm, key, pieces) {
      const cryptoKey = await hmacKey(algorithm, key)
      return new Uint8Array(await subtle.sign('HMAC', cryptoKey, toArrayBuffer(concatBytes(pieces))))
    },
    async digest(_algorithm, data) {
      return new Uint8Array(await subtle.digest('SHA-256', toArrayBuffer(data)))
    },
    ...webEd25519(subtle),
    randomBytes(length) {
      return getRandomValues(new Uint8Array(length))
    },
    verifyPublicKey: webPublicKeyVerifier(subtle),
  }
}

/**
 * The Web Crypto backend (for runtimes without node:crypto, and for tests).
 * Gives the same answers as node:crypto; every provider takes it as `crypto`.
 *
 * @example
 * ```ts
 * import { github, webCryptoBackend } from 'hookguard'
 *
 * const provider = github({ secret: process.env.GITHUB_WEBHOOK_SECRET!, crypto: webCryptoBackend() })
 * ```
 */
export function webCryptoBackend(): CryptoBackend {
  const webcrypto = globalThis.crypto
  if (!webcrypto?.subtle) throw new TypeError('hookguard: this runtime has neither node:crypto nor Web Crypto')
  return createWebBackend(webcrypto.subtle, (a) => webcrypto.getRandomValues(a))
}

/**
 * The node:crypto backend, or undefined when the runtime has no node:crypto.
 * It is the default wherever it exists; pass it to insist on it.
 *
 * @example
 * ```ts
 * import { nodeCryptoBackend, stripe } from 'hookguard'
 *
 * const crypto = nodeCryptoBackend()
 * if (!crypto) throw new Error('this runtime has no node:crypto')
 * const provider = stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET!, crypto })
 * ```
 */
export function nodeCryptoBackend(): CryptoBackend | undefined {
  return nodeCrypto ? createNodeBackend(nodeCrypto) : undefined
}

let defaultBackend: CryptoBackend | undefined

/** node:crypto when present, Web Crypto otherwise. */
export function defaultCrypto(): CryptoBackend {
  defaultBackend ??= nodeCryptoBackend() ?? webCryptoBackend()
  return defaultBackend
}

/** A random opaque token (owner tokens, ids). */
export function randomToken(bytes = 16): string {
  return encodeHex(defaultCrypto().randomBytes(bytes))
}

// ------------------------------------------------------------------ encodings
// One pure implementation for every runtime: Buffer.from(text, 'hex') reads
// U+0161 as 'a' and stops at the first bad digit, so it is not used here.

const HEX = '0123456789abcdef'

export function encodeHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!
  return out
}

/** Which letter case a hex decoder takes: what the sender emits, or either (configuration values only). */
export type HexCase = 'lower' | 'upper' | 'any'

/** Value of each ASCII hex digit of a case, 255 for anything else. */
function hexTable(letterCase: HexCase): Uint8Array {
  const table = new Uint8Array(128).fill(255)
  for (let i = 0; i < 10; i++) table[48 + i] = i
  for (let i = 0; i < 6; i++) {
    if (letterCase !== 'upper') table[97 + i] = 10 + i
    if (letterCase !== 'lower') table[65 + i] = 10 + i
  }
  return table
}
const HEX_LOOKUP: Record<HexCase, Uint8Array> = {
  lower: hexTable('lower'),
  upper: hexTable('upper'),
  any: hexTable('any'),
}

const asciiEncoder = new TextEncoder()
/** Reused for texts up to its size (every signature); a longer text gets a buffer of its own, not kept. */
const asciiScratch = new Uint8Array(1024)

/**
 * The bytes of an ASCII string in a reused buffer (read the first
 * `text.length`, before the next call), or undefined when `text` is not
 * ASCII. One native copy: a signature is usually a slice of a header value,
 * and V8 reads a sliced string's characters one by one through a slow path
 * (charCodeAt over a 64-digit hex slice cost 2–3× this copy plus a byte loop).
 */
function asciiBytes(text: string): Uint8Array | undefined {
  const length = text.length
  const into = length <= asciiScratch.length ? asciiScratch : new Uint8Array(length)
  const { read, written } = asciiEncoder.encodeInto(text, into)
  // A character past U+007F takes two or more bytes, so any of them makes written differ.
  return read === length && written === length ? into : undefined
}

/**
 * Strict hex: even length, ASCII hex digits of the given case only (default
 * lower case, as every built-in provider sends). Returns undefined when invalid.
 * Checks and decodes in one pass: for a signature, cheaper than a pattern
 * test followed by Buffer.from (which also reads some non-ASCII as digits).
 */
export function decodeHex(text: string, letterCase: HexCase = 'lower'): Uint8Array | undefined {
  const length = text.length
  if ((length & 1) !== 0) return undefined
  const bytes = asciiBytes(text)
  if (!bytes) return undefined
  const lookup = HEX_LOOKUP[letterCase]
  const out = new Uint8Array(length >> 1)
  // A digit is 0–15; 255 marks anything else, so any bit above the low four means a bad character.
  let digits = 0
  for (let i = 0, o = 0; i < length; i += 2, o++) {
    const high = lookup[bytes[i]!]!
    const low = lookup[bytes[i + 1]!]!
    digits |= high | low
    out[o] = (high << 4) | low
  }
  return digits > 15 ? undefined : out
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

export function encodeBase64(bytes: Uint8Array, alphabet: 'base64' | 'base64url' = 'base64'): string {
  const table = alphabet === 'base64' ? B64 : B64URL
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += table[n >> 18]! + table[(n >> 12) & 63]! + table[(n >> 6) & 63]! + table[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += table[n >> 18]! + table[(n >> 12) & 63]! + (alphabet === 'base64' ? '==' : '')
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += table[n >> 18]! + table[(n >> 12) & 63]! + table[(n >> 6) & 63]! + (alphabet === 'base64' ? '=' : '')
  }
  return out
}

/** Value of each character of an alphabet, 255 for anything else. */
function lookupTable(alphabet: string): Uint8Array {
  const table = new Uint8Array(128).fill(255)
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  return table
}
const B64_LOOKUP = lookupTable(B64)
const B64URL_LOOKUP = lookupTable(B64URL)

/**
 * Strict base64: one alphabet, canonical padding (`=` to a multiple of 4 for
 * base64, none for base64url), no whitespace, and no stray bits in the last
 * character, so one value has exactly one spelling. Returns undefined when invalid.
 */
export function decodeBase64(text: string, alphabet: 'base64' | 'base64url' = 'base64'): Uint8Array | undefined {
  const standard = alphabet === 'base64'
  let end = text.length
  if (standard) {
    // Padded to a multiple of 4, with at most two '=' and only at the end.
    if ((end & 3) !== 0) return undefined
    if (end > 0 && text.charCodeAt(end - 1) === 61) end -= text.charCodeAt(end - 2) === 61 ? 2 : 1
  } else if ((end & 3) === 1) {
    // Unpadded: a lone last character cannot hold a byte.
    return undefined
  }
  const bytes = asciiBytes(text)
  if (!bytes) return undefined
  const lookup = standard ? B64_LOOKUP : B64URL_LOOKUP
  // One pass checks and decodes, four characters to three bytes at a time: cheaper for a signature
  // than a pattern test followed by Buffer.from.
  const out = new Uint8Array((end * 3) >> 2)
  const whole = end & ~3
  let o = 0
  for (let i = 0; i < whole; i += 4) {
    const a = lookup[bytes[i]!]!
    const b = lookup[bytes[i + 1]!]!
    const c = lookup[bytes[i + 2]!]!
    const d = lookup[bytes[i + 3]!]!
    // 255 marks a bad character: any bit above the low six.
    if ((a | b | c | d) > 63) return undefined
    const group = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = group >> 16
    out[o++] = (group >> 8) & 0xff
    out[o++] = group & 0xff
  }
  const rest = end - whole
  if (rest === 0) return out
  const a = lookup[bytes[whole]!]!
  const b = lookup[bytes[whole + 1]!]!
  const c = rest === 3 ? lookup[bytes[whole + 2]!]! : 0
  // The last character's left-over bits (4 of b with one byte left, 2 of c with two) must be zero.
  if ((a | b | c) > 63 || (rest === 2 ? b & 15 : c & 3) !== 0) return undefined
  out[o++] = (a << 2) | (b >> 4)
  if (rest === 3) out[o] = ((b & 15) << 4) | (c >> 2)
  return out
}

/**
 * A DER ECDSA signature (`SEQUENCE { INTEGER r, INTEGER s }`) as the fixed
 * `r || s` form Web Crypto takes. Strict: minimal lengths and integers, no
 * trailing bytes, 0 < r, s < 2^(8·size). Returns undefined when malformed.
 */
function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  // Short-form lengths only: for P-256/P-384 the whole signature is under 128 bytes.
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[1]! > 0x7f) return undefined
  const out = new Uint8Array(size * 2)
  let offset = 2
  for (let part = 0; part < 2; part++) {
    if (der[offset] !== 0x02) return undefined
    const length = der[offset + 1]!
    if (length === 0 || length > 0x7f || offset + 2 + length > der.length) return undefined
    let value = der.subarray(offset + 2, offset + 2 + length)
    if (value[0]! & 0x80) return undefined // negative
    // A lone 0x00 is zero; 0x00 before a byte without its high bit is non-minimal.
    if (value[0] === 0 && (value.length === 1 || !(value[1]! & 0x80))) return undefined
    if (value[0] === 0) value = value.subarray(1)
    if (value.length > size) return undefined
    out.set(value, part * size + size - value.length)
    offset += 2 + length
  }
  return offset === der.length ? out : undefined
}

/** The inverse of {@link ecdsaDerToRaw}: `r || s` (each `size` bytes) as a DER ECDSA signature. */
export function ecdsaRawToDer(raw: Uint8Array, size: number): Uint8Array {
  if (raw.length !== size * 2) throw new TypeError(`ECDSA signature must be ${size * 2} bytes`)
  const integer = (value: Uint8Array): number[] => {
    let start = 0
    while (start < value.length - 1 && value[start] === 0) start++
    const bytes = Array.from(value.subarray(start))
    if (bytes[0]! & 0x80) bytes.unshift(0)
    return [0x02, bytes.length, ...bytes]
  }
  const body = [...integer(raw.subarray(0, size)), ...integer(raw.subarray(size))]
  return Uint8Array.from([0x30, body.length, ...body])
}

let crcTable: Uint32Array | undefined

/** CRC-32 (IEEE 802.3, as zlib) of `data`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
