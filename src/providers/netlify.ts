/**
 * Netlify outgoing webhooks (deploy and form notifications with a "JWS secret
 * token"): `X-Webhook-Signature` carries a compact JWS, HS256 with the token
 * as the key, whose claims are `{ "iss": "netlify", "sha256": "<hex SHA-256
 * of the raw body>" }`.
 *
 * - The algorithm is fixed to HS256: a token that names `none`, `HS512`,
 *   `RS256` or anything else is refused (401) before any key is used, and so
 *   is one with critical extensions. The MAC is checked first, then `iss`,
 *   then the body's SHA-256 against the signed claim, in constant time.
 * - The claims carry no `iat`/`exp`: no timestamp is signed and `tolerance`
 *   is refused. A captured delivery stays valid forever; the dedupe store is
 *   the replay guard.
 * - Id: `sha256:` + the signed body hash (the documented fallback: Netlify
 *   sends no event id, and a deploy's `id` is the same in its "building",
 *   "ready" and "failed" notifications, so it cannot be the id). An exact
 *   resend is a duplicate; two notifications always differ in their bytes.
 * - Type: the `X-Netlify-Event` header when sent (unsigned), else none.
 *
 * @module
 */
import { constantTimeEqual, decodeBase64, decodeHex, encodeBase64, encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions, type Verification } from '../types/index.js'
import { parseJson } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { readHeader, requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link netlify}. `secret` is the notification's "JWS secret token". */
export type NetlifyOptions = UntimedProviderOptions

const SIGNATURE = 'x-webhook-signature'
/** Netlify's tokens are ~250 characters; far longer is malformed, not slow. */
const MAX_TOKEN_LENGTH = 4096
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

interface Hs256Token {
  claims: Record<string, unknown>
  signingInput: string
  signature: Uint8Array
}

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

/** The parts of the token, read strictly; the algorithm is HS256 or the token is refused. */
function readToken(text: string): Hs256Token {
  if (text.length > MAX_TOKEN_LENGTH) throw malformedSignature(`${SIGNATURE} is too long`)
  const parts = text.split('.')
  if (parts.length !== 3) throw malformedSignature(`${SIGNATURE} is not a JWS compact serialization`)
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
  const header = jsonPart(headerPart, `${SIGNATURE} header`)
  if (header.alg !== 'HS256') throw invalidSignature(`${SIGNATURE} alg is not HS256`)
  if (header.typ !== undefined && header.typ !== 'JWT') throw invalidSignature(`${SIGNATURE} typ is not JWT`)
  if (header.crit !== undefined) throw invalidSignature(`${SIGNATURE} has critical extensions`)
  const claims = jsonPart(claimsPart, `${SIGNATURE} claims`)
  const signature = decodeBase64(signaturePart, 'base64url')
  if (!signature || signature.length !== 32)
    throw malformedSignature(`${SIGNATURE} signature is not 32 bytes of unpadded base64url`)
  return { claims, signingInput: `${headerPart}.${claimsPart}`, signature }
}

/** After the MAC: the issuer, and the body's SHA-256 against the signed one. Returns the signed hash. */
function checkClaims(token: Hs256Token, digest: Uint8Array): string {
  if (token.claims.iss !== 'netlify') throw invalidSignature(`${SIGNATURE} iss is not netlify`)
  const claimed = typeof token.claims.sha256 === 'string' ? token.claims.sha256 : ''
  const expected = decodeHex(claimed)
  if (!expected || expected.length !== 32) throw invalidSignature(`${SIGNATURE} sha256 claim is not a SHA-256`)
  if (!constantTimeEqual(digest, expected)) throw invalidSignature('body does not match the signed sha256')
  return claimed
}

/**
 * Netlify outgoing webhooks signed with a JWS secret token.
 *
 * @example
 * ```ts
 * const provider = netlify({ secret: process.env.NETLIFY_JWS_SECRET! })
 * ```
 */
export function netlify(options: NetlifyOptions): Provider {
  const name = 'netlify'
  // The token is typed by the user; below 8 bytes is refused as weak, as for GitHub.
  const opened = openProvider(name, options, { untimed: 'Netlify', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE],
    async verify(request) {
      const token = readToken(requireSignatureHeader(request, SIGNATURE))
      const received = [token.signature]
      const keys = await opened.keys.forRequest(request)
      await verifyHmac(scheme, keys, [token.signingInput], received, {})
      const hash = checkClaims(token, await opened.backend.digest('sha256', request.body))
      const verification: Verification = { id: `sha256:${hash}` }
      const type = readHeader(request, 'x-netlify-event')
      if (type) verification.type = type
      return verification
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const body = typeof sign.body === 'string' ? new TextEncoder().encode(sign.body) : sign.body
      const part = (value: object) => encodeBase64(new TextEncoder().encode(JSON.stringify(value)), 'base64url')
      const sha256 = encodeHex(await opened.backend.digest('sha256', body))
      const signingInput = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'netlify', sha256 })}`
      const mac = await opened.backend.hmac('sha256', key!, [signingInput])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          [SIGNATURE]: `${signingInput}.${encodeBase64(mac, 'base64url')}`,
        },
        body: sign.body,
      }
    },
  }
}
