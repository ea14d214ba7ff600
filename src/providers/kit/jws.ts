/**
 * Compact JWS tokens signed with ES256 (Plaid's `Plaid-Verification`), read
 * strictly: three unpadded base64url parts, a header that names ES256 and a
 * key id and nothing the reader would have to understand (`crit`), a JSON
 * object of claims, and a raw 64-byte `r || s` signature. Nothing here checks
 * the signature: the caller does, with the key the header names.
 *
 * @module
 */
import { decodeBase64 } from '../../crypto.js'
import { invalidSignature, malformedSignature } from './fail.js'

export interface Es256Token {
  /** The key id of the signing key (a JWK's `kid`). */
  kid: string
  /** The claims object, unchecked beyond being an object. */
  claims: Record<string, unknown>
  /** `base64url(header) + '.' + base64url(claims)`: the bytes the signature covers. */
  signingInput: Uint8Array
  /** Raw ECDSA P-256 signature, `r || s`. */
  signature: Uint8Array
}

/** A token far longer than any sender's (~400 characters) is malformed, not slow. */
const MAX_TOKEN_LENGTH = 4096
const KID_RE = /^[A-Za-z0-9._-]{1,128}$/
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function jsonPart(part: string, where: string): Record<string, unknown> {
  const bytes = decodeBase64(part, 'base64url')
  if (!bytes) throw malformedSignature(`${where} is not unpadded base64url`)
  let value: unknown
  try {
    value = JSON.parse(strictUtf8.decode(bytes))
  } catch {
    throw malformedSignature(`${where} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformedSignature(`${where} is not a JSON object`)
  return value as Record<string, unknown>
}

/** The header's key id: ES256 only (never chosen by the request), a `typ` of JWT if any, no critical extensions. */
function headerKid(part: string, where: string): string {
  const header = jsonPart(part, `${where} header`)
  if (header.alg !== 'ES256') throw invalidSignature(`${where} alg is not ES256`)
  if (header.typ !== undefined && header.typ !== 'JWT') throw invalidSignature(`${where} typ is not JWT`)
  if (header.crit !== undefined) throw invalidSignature(`${where} has critical extensions`)
  if (typeof header.kid !== 'string' || !KID_RE.test(header.kid))
    throw malformedSignature(`${where} kid is missing or malformed`)
  return header.kid
}

/**
 * Reads an ES256 compact JWS; `where` names it in reasons (the header it
 * came in). A 400 for anything malformed, a 401 for another algorithm.
 */
export function readEs256Token(text: string, where: string): Es256Token {
  if (text.length > MAX_TOKEN_LENGTH) throw malformedSignature(`${where} is too long`)
  const parts = text.split('.')
  if (parts.length !== 3) throw malformedSignature(`${where} is not a JWS compact serialization`)
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
  const kid = headerKid(headerPart, where)
  const claims = jsonPart(claimsPart, `${where} claims`)
  const signature = decodeBase64(signaturePart, 'base64url')
  if (!signature || signature.length !== 64)
    throw malformedSignature(`${where} signature is not 64 bytes of unpadded base64url`)
  const signingInput = new TextEncoder().encode(`${headerPart}.${claimsPart}`)
  return { kid, claims, signingInput, signature }
}
