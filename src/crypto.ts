/**
 * Crypto primitives behind every provider: HMAC fed in pieces (no string
 * concatenation of the body), constant-time comparison after a length check,
 * Ed25519 and RSA verification. Uses node:crypto when the runtime has it and
 * Web Crypto otherwise; both give the same results.
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
}

const encoder = new TextEncoder()

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

/** Constant time for equal lengths; different lengths return false at once (length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  if (nodeCrypto) return nodeCrypto.timingSafeEqual(a, b)
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

type NodeCrypto = typeof import('node:crypto')

// getBuiltinModule avoids a static import, so bundles for Workers still load.
const nodeCrypto: NodeCrypto | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  } catch {
    return undefined
  }
})()

// PKCS#8 / SPKI prefixes for a raw 32-byte Ed25519 key.
const ED25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

function createNodeBackend(c: NodeCrypto): CryptoBackend {
  const publicKeys = new WeakMap<Uint8Array, import('node:crypto').KeyObject>()
  return {
    kind: 'node',
    hmac(algorithm, key, pieces) {
      const mac = c.createHmac(algorithm, key)
      for (const piece of pieces) mac.update(piece)
      return mac.digest()
    },
    digest(algorithm, data) {
      return c.createHash(algorithm).update(data).digest()
    },
    verifyEd25519(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false
      let keyObject = publicKeys.get(publicKey)
      if (!keyObject) {
        keyObject = c.createPublicKey({ key: Buffer.from(concatBytes([ED25519_SPKI_PREFIX, publicKey])), format: 'der', type: 'spki' })
        publicKeys.set(publicKey, keyObject)
      }
      try {
        return c.verify(null, message, keyObject, signature)
      } catch {
        return false
      }
    },
    signEd25519(seed, message) {
      const key = c.createPrivateKey({ key: Buffer.from(concatBytes([ED25519_PKCS8_PREFIX, seed])), format: 'der', type: 'pkcs8' })
      return c.sign(null, message, key)
    },
    randomBytes(length) {
      return c.randomBytes(length)
    },
  }
}

const WEB_HASH: Record<HmacAlgorithm, string> = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' }

function createWebBackend(subtle: SubtleCrypto, getRandomValues: (a: Uint8Array) => Uint8Array): CryptoBackend {
  // importKey is costly; keys are long-lived secrets, so cache per key object.
  const hmacKeys = new WeakMap<Uint8Array, Map<HmacAlgorithm, Promise<CryptoKey>>>()
  const edKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>()
  const buf = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer
  function hmacKey(algorithm: HmacAlgorithm, key: Uint8Array): Promise<CryptoKey> {
    let byAlg = hmacKeys.get(key)
    if (!byAlg) hmacKeys.set(key, (byAlg = new Map()))
    let cached = byAlg.get(algorithm)
    if (!cached) {
      cached = subtle.importKey('raw', buf(key), { name: 'HMAC', hash: WEB_HASH[algorithm] }, false, ['sign'])
      byAlg.set(algorithm, cached)
    }
    return cached
  }
  return {
    kind: 'web',
    async hmac(algorithm, key, pieces) {
      const cryptoKey = await hmacKey(algorithm, key)
      return new Uint8Array(await subtle.sign('HMAC', cryptoKey, buf(concatBytes(pieces))))
    },
    async digest(_algorithm, data) {
      return new Uint8Array(await subtle.digest('SHA-256', buf(data)))
    },
    async verifyEd25519(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false
      let cryptoKey = edKeys.get(publicKey)
      if (!cryptoKey) {
        cryptoKey = subtle.importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify'])
        edKeys.set(publicKey, cryptoKey)
      }
      try {
        return await subtle.verify({ name: 'Ed25519' }, await cryptoKey, buf(signature), buf(message))
      } catch {
        return false
      }
    },
    async signEd25519(seed, message) {
      const key = await subtle.importKey('pkcs8', buf(concatBytes([ED25519_PKCS8_PREFIX, seed])), { name: 'Ed25519' }, false, ['sign'])
      return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, buf(message)))
    },
    randomBytes(length) {
      return getRandomValues(new Uint8Array(length))
    },
  }
}

/** The Web Crypto backend (for runtimes without node:crypto, and for tests). */
export function webCryptoBackend(): CryptoBackend {
  const webcrypto = globalThis.crypto
  if (!webcrypto?.subtle) throw new TypeError('hookguard: this runtime has neither node:crypto nor Web Crypto')
  return createWebBackend(webcrypto.subtle, (a) => webcrypto.getRandomValues(a))
}

/** The node:crypto backend, or undefined when the runtime has no node:crypto. */
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

const HEX = '0123456789abcdef'
export function encodeHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += HEX[byte >> 4]! + HEX[byte & 15]!
  return out
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/
/** Strict hex: even length, hex digits only (either case). Returns undefined when invalid. */
export function decodeHex(text: string): Uint8Array | undefined {
  if (!HEX_RE.test(text)) return undefined
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16)
  return out
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

function lookupTable(alphabet: string): Uint8Array {
  const table = new Uint8Array(128)
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  return table
}
const B64_LOOKUP = lookupTable(B64)
const B64URL_LOOKUP = lookupTable(B64URL)

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const B64URL_RE = /^[A-Za-z0-9_-]*$/

/**
 * Strict base64: standard alphabet, canonical padding, and no stray bits in
 * the last character (so one signature has exactly one spelling). Returns
 * undefined when invalid.
 */
export function decodeBase64(text: string, alphabet: 'base64' | 'base64url' = 'base64'): Uint8Array | undefined {
  if (alphabet === 'base64' ? !B64_RE.test(text) : !B64URL_RE.test(text) || text.length % 4 === 1) return undefined
  const lookup = alphabet === 'base64' ? B64_LOOKUP : B64URL_LOOKUP
  let end = text.length
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--
  const clean = end === text.length ? text : text.slice(0, end)
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < clean.length; i++) {
    value = ((value << 6) | lookup[clean.charCodeAt(i)]!) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 0xff
    }
  }
  // Non-zero leftover bits mean a non-canonical spelling.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined
  return out
}
