/**
 * The `Plaid-Verification` JWT, read strictly: three unpadded base64url
 * parts, a header that names ES256 and a key id, claims with an integer
 * `iat` and a lower-case hex `request_body_sha256`, and a raw 64-byte
 * `r || s` signature. Nothing here checks the signature; the caller does,
 * with the key the header names.
 *
 * @module
 */
import { decodeBase64, decodeHex } from '../../crypto.js'
import { HookguardError } from '../../errors.js'
import { invalidSignature, malformedSignature } from '../kit/fail.js'

export interface PlaidToken {
  /** The key id of the signing key (the JWK's `kid`). */
  kid: string
  /** Seconds since the epoch when Plaid made the token. */
  iat: number
  /** The SHA-256 of the body Plaid sent. */
  bodySha256: Uint8Array
  /** `base64url(header) + '.' + base64url(claims)`, the bytes the signature covers. */
  signingInput: Uint8Array
  /** Raw ECDSA P-256 signature, `r || s`. */
  signature: Uint8Array
}

/** A JWT far longer than Plaid's (~400 characters) is malformed, not slow. */
const MAX_TOKEN_LENGTH = 4096
const KID_RE = /^[A-Za-z0-9._-]{1,128}$/
const SHA256_HEX_RE = /^[0-9a-f]{64}$/
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function jsonPart(part: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64(part, 'base64url')
  if (!bytes) throw malformedSignature(`plaid-verification ${what} is not unpadded base64url`)
  let value: unknown
  try {
    value = JSON.parse(strictUtf8.decode(bytes))
  } catch {
    throw malformedSignature(`plaid-verification ${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformedSignature(`plaid-verification ${what} is not a JSON object`)
  return value as Record<string, unknown>
}

/** The header: ES256 only (never chosen by the request), a key id, no extensions it would have to understand. */
function readHeaderPart(part: string): string {
  const header = jsonPart(part, 'header')
  if (header.alg !== 'ES256') throw invalidSignature('plaid-verification alg is not ES256')
  if (header.typ !== undefined && header.typ !== 'JWT') throw invalidSignature('plaid-verification typ is not JWT')
  if (header.crit !== undefined) throw invalidSignature('plaid-verification has critical extensions')
  if (typeof header.kid !== 'string' || !KID_RE.test(header.kid))
    throw malformedSignature('plaid-verification kid is missing or malformed')
  return header.kid
}

function readClaims(part: string): { iat: number; bodySha256: Uint8Array } {
  const claims = jsonPart(part, 'claims')
  const iat = claims.iat
  if (iat === undefined) throw new HookguardError('timestamp.missing', { reason: 'plaid-verification has no iat' })
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0)
    throw new HookguardError('timestamp.malformed', { reason: 'plaid-verification iat is not whole seconds' })
  const hash = claims.request_body_sha256
  if (typeof hash !== 'string' || !SHA256_HEX_RE.test(hash))
    throw malformedSignature('plaid-verification request_body_sha256 is not 64 lower-case hex digits')
  return { iat, bodySha256: decodeHex(hash)! }
}

/** Reads the token; a 400 for anything malformed, a 401 for an algorithm other than ES256. */
export function readPlaidToken(text: string): PlaidToken {
  if (text.length > MAX_TOKEN_LENGTH) throw malformedSignature('plaid-verification is too long')
  const parts = text.split('.')
  if (parts.length !== 3) throw malformedSignature('plaid-verification is not a JWS compact serialization')
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
  const kid = readHeaderPart(headerPart)
  const { iat, bodySha256 } = readClaims(claimsPart)
  const signature = decodeBase64(signaturePart, 'base64url')
  if (!signature || signature.length !== 64)
    throw malformedSignature('plaid-verification signature is not 64 bytes of unpadded base64url')
  const signingInput = new TextEncoder().encode(`${headerPart}.${claimsPart}`)
  return { kid, iat, bodySha256, signingInput, signature }
}
