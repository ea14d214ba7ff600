/**
 * Sanity GROQ-powered webhooks with a secret: `sanity-webhook-signature:
 * t=<milliseconds>,v1=<base64url>`, HMAC-SHA256 of `{t}.{raw body}` keyed by
 * the webhook's secret (as text), unpadded base64url, the scheme
 * `@sanity/webhook`'s `isValidSignature` checks.
 *
 * - `t` is in milliseconds and signed: strict digits, within `tolerance`
 *   (default 300 s) both ways. (The SDK checks no freshness at all.)
 * - The header is `t` then `v1` (a space after the comma is allowed, as the
 *   SDK allows); a `v1` that is not 43 base64url characters is a 400.
 * - Id: the `idempotency-key` header, which Sanity keeps across retries of
 *   one delivery. It is not signed, and the body is whatever the webhook's
 *   GROQ projection makes (often the same for two edits of one document), so
 *   neither a body hash nor the MAC can stand in for it. A captured delivery
 *   resent under a fresh key therefore passes only inside the tolerance.
 * - Type: the `sanity-operation` header (`create`, `update`, `delete`), unsigned.
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from '../crypto.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { parseJson } from './kit/body.js'
import { malformedSignature } from './kit/fail.js'
import { readHeader, requireIdHeader, requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { checkMillis, parseMillis } from './kit/millis.js'
import { onlyTimestamp, signaturePairs } from './kit/pairs.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'

/** Options of {@link sanity}. `secret` is the webhook's secret (sanity.io/manage → API → Webhooks). */
export type SanityOptions = ProviderOptions

const SIGNATURE = 'sanity-webhook-signature'

function readHeaderParts(request: ProviderRequest): { text: string; received: Uint8Array[] } {
  // A space after the comma is in the grammar, so a joined repeat is left to the parser (a second t is a 400).
  const pairs = signaturePairs(requireSignatureHeader(request, SIGNATURE, { joinable: true }), SIGNATURE, true)
  const text = onlyTimestamp(pairs, SIGNATURE)
  const received: Uint8Array[] = []
  for (const { key, value } of pairs) {
    if (key === 't') continue
    if (key !== 'v1') throw malformedSignature(`${SIGNATURE} has an entry other than t and v1`)
    const bytes = decodeBase64(value, 'base64url')
    if (!bytes || bytes.length !== 32) throw malformedSignature(`${SIGNATURE} v1 is not 43 base64url characters`)
    received.push(bytes)
  }
  if (received.length === 0) throw malformedSignature(`${SIGNATURE} has no v1`)
  return { text, received }
}

/**
 * Sanity GROQ-powered webhooks.
 *
 * @example
 * ```ts
 * const provider = sanity({ secret: process.env.SANITY_WEBHOOK_SECRET! })
 * ```
 */
export function sanity(options: SanityOptions): Provider {
  const name = 'sanity'
  // The secret is typed by the user; below 8 bytes is refused as weak, as for GitHub.
  const opened = openProvider(name, options, { secret: { minBytes: 8 } })
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const { text, received } = readHeaderParts(request)
      const timestamp = checkMillis(parseMillis(text, `${SIGNATURE} t`), request.now, tolerance)
      const pieces = [`${text}.`, request.body]
      const identify = (result: Verification): Verification => {
        result.id = requireIdHeader(request, 'idempotency-key')
        result.type = readHeader(request, 'sanity-operation') || undefined
        return result
      }
      return withKeys(keys, request, (k) => {
        const verified = verifyHmac(scheme, k, pieces, received, { timestamp } as Verification)
        return verified instanceof Promise ? verified.then(identify) : identify(verified)
      })
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const ms = Math.floor(sign.timestamp !== undefined ? sign.timestamp * 1000 : (sign.now ?? Date.now)())
      const [key] = await keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [`${ms}.`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          'sanity-operation': 'update',
          ...sign.headers,
          'idempotency-key': sign.id ?? crypto.randomUUID(),
          [SIGNATURE]: `t=${ms},v1=${encodeBase64(mac, 'base64url')}`,
        },
        body: sign.body,
      }
    },
  }
}
