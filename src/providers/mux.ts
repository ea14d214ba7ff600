/**
 * Mux webhooks: `Mux-Signature: t=<seconds>,v1=<hex>[,v1=<hex>…]`, hex
 * HMAC-SHA256 of `{t}.{raw body}` keyed by the webhook's signing secret (as
 * text), the scheme `@mux/mux-node`'s `webhooks.verifySignature` checks.
 *
 * - `t` is signed: strict digits, within `tolerance` (default 300 s, Mux's
 *   five minutes) both ways. (The SDK checks the past only.)
 * - Every `v1` is tried; as in the SDK, entries that are not hex (its own
 *   test sends `v1=invalid-sig`) and other versions are skipped, and a
 *   header with no usable `v1` is a 401. Two `t` are a 400.
 * - Id: the body's `id` (signed; the same on every attempt, while the body's
 *   `attempts` list grows). Type: the body's `type` (`video.asset.ready` …).
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { onlyTimestamp, signaturePairs } from './kit/pairs.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp } from './kit/timestamp.js'

/** Options of {@link mux}. `secret` is the webhook's signing secret (Settings → Webhooks). */
export type MuxOptions = ProviderOptions

/** The payload type of {@link mux}: one webhook event. */
export interface MuxWebhook {
  id: string
  type: string
  created_at: string
  data: Record<string, unknown>
  object: { type: string; id: string }
  [field: string]: unknown
}

const SIGNATURE = 'mux-signature'

function readHeaderParts(request: ProviderRequest): { text: string; received: Uint8Array[] } {
  const pairs = signaturePairs(requireSignatureHeader(request, SIGNATURE), SIGNATURE)
  const text = onlyTimestamp(pairs, SIGNATURE)
  const received: Uint8Array[] = []
  for (const { key, value } of pairs) {
    if (key !== 'v1') continue
    const bytes = decodeHex(value)
    if (bytes && bytes.length === 32) received.push(bytes)
  }
  return { text, received }
}

/**
 * Mux webhooks.
 *
 * @example
 * ```ts
 * const provider = mux({ secret: process.env.MUX_WEBHOOK_SECRET! })
 * ```
 */
export function mux(options: MuxOptions): Provider<MuxWebhook> {
  const name = 'mux'
  // Mux's own SDK tests sign with a 14-character secret; below 8 bytes is refused as weak.
  const opened = openProvider(name, options, { secret: { minBytes: 8 } })
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const { text, received } = readHeaderParts(request)
      const timestamp = parseTimestamp(text, `${SIGNATURE} t`)
      checkTimestamp(timestamp, request.now, tolerance)
      if (received.length === 0) throw invalidSignature(`${SIGNATURE} has no v1 signature`)
      const pieces = [`${text}.`, request.body]
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, { timestamp }))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = signingTimestamp(sign)
      const [key] = await keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [`${timestamp}.`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          [SIGNATURE]: `t=${timestamp},v1=${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
