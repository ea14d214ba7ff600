/**
 * Calendly: `Calendly-Webhook-Signature: t=<seconds>,v1=<hex>`, the hex
 * HMAC-SHA256 of `t.body` keyed by the webhook signing key (chosen when the
 * subscription is created with a personal access token, generated for an
 * OAuth app). The timestamp is checked both ways; Calendly's guide uses a
 * three-minute window, so the default tolerance is 180 s.
 *
 * - Id: Calendly sends no event id. The id is `sha256:` + the hex SHA-256 of
 *   the raw body, which the signature covers: a retry resends the same body
 *   (only `t` changes) and is a duplicate; two events differ in `event`,
 *   `created_at` or the resource. Business-level idempotency (one booking,
 *   one row) belongs on `payload.uri` in the handler.
 * - Type: the body's `event` (`invitee.created` …).
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature, MAX_SIGNATURE_ENTRIES } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp } from './kit/timestamp.js'

/**
 * Options of {@link calendly}. `secret` is the webhook signing key;
 * `tolerance` defaults to 180 s (Calendly's three minutes).
 */
export type CalendlyOptions = ProviderOptions

const HEADER = 'calendly-webhook-signature'
const PAIR_RE = /^([a-z0-9]+)=([^=]*)$/

/** `t` and every `v1` of the header; one `t` only, unknown keys ignored, `v1` strictly lower-case hex of 32 bytes. */
function parseHeader(header: string): { timestampText: string; received: Uint8Array[] } {
  const entries = header.split(',', MAX_SIGNATURE_ENTRIES + 1)
  if (entries.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature(`too many entries in ${HEADER}`)
  let timestampText: string | undefined
  const received: Uint8Array[] = []
  for (const entry of entries) {
    const pair = PAIR_RE.exec(entry)
    if (!pair) throw malformedSignature(`${HEADER} is not a list of key=value pairs`)
    if (pair[1] === 't') {
      // Two timestamps would let a forger pick which one is checked.
      if (timestampText !== undefined) throw malformedSignature(`${HEADER} has more than one t`)
      timestampText = pair[2]!
    } else if (pair[1] === 'v1') {
      const signature = decodeHex(pair[2]!)
      if (!signature || signature.length !== 32)
        throw malformedSignature(`${HEADER} v1 is not 64 lower-case hex digits`)
      received.push(signature)
    }
  }
  if (timestampText === undefined) throw malformedSignature(`${HEADER} has no t`)
  return { timestampText, received }
}

/**
 * Calendly webhooks (API v2 webhook subscriptions).
 *
 * @example
 * ```ts
 * const provider = calendly({ secret: process.env.CALENDLY_WEBHOOK_SIGNING_KEY! })
 * ```
 */
export function calendly(options: CalendlyOptions): Provider {
  const name = 'calendly'
  // A signing key may be typed by the user: under 8 bytes is refused as weak.
  const opened = openProvider(name, options, { tolerance: 180, secret: { minBytes: 8 } })
  const { backend, tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: [HEADER],
    verify(request) {
      const { timestampText, received } = parseHeader(requireSignatureHeader(request, HEADER))
      const timestamp = parseTimestamp(timestampText, `${HEADER} t`)
      checkTimestamp(timestamp, request.now, tolerance)
      if (received.length === 0) throw invalidSignature(`${HEADER} has no v1 signature`)
      const pieces = [`${timestampText}.`, request.body]
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, { timestamp }))
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      return { id: await bodyHashId(backend, request.body), type: stringField(payload, 'event') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = signingTimestamp(sign)
      const [key] = await keys.forSigning(sign)
      const mac = await backend.hmac('sha256', key!, [`${timestamp}.`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          [HEADER]: `t=${timestamp},v1=${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
