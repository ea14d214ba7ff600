/**
 * Box webhooks (V2): `BOX-SIGNATURE-PRIMARY` and `BOX-SIGNATURE-SECONDARY`,
 * base64 HMAC-SHA256 over the raw body bytes followed by the bytes of
 * `BOX-DELIVERY-TIMESTAMP`, one made with each of the application's two
 * signature keys (two, so they can be rotated one at a time). A delivery
 * passes when either signature matches one of the configured keys.
 *
 * - `BOX-SIGNATURE-VERSION` must be `1` and `BOX-SIGNATURE-ALGORITHM`
 *   `HmacSHA256`, as Box's SDK requires; the algorithm is fixed here,
 *   never taken from the request.
 * - `BOX-DELIVERY-TIMESTAMP` is RFC 3339, parsed strictly and checked both
 *   ways; Box's guide says to refuse deliveries older than ten minutes, so
 *   that is the default tolerance. (Box's SDK refuses any timestamp ahead of
 *   its clock; hookguard allows the same skew ahead as behind.)
 * - Id: the body's `id`, which Box keeps when it retries (it is signed).
 *   `BOX-DELIVERY-ID` changes on every retry, so it is not the id.
 *   Type: the body's `trigger` (`FILE.UPLOADED` …).
 * - Box's SDK also tries the body re-escaped as PHP would (`\u…`, `\/`),
 *   for callers that parsed and re-serialised it; the raw bytes are what
 *   Box signed, so hookguard verifies those only.
 *
 * @module
 */
import { encodeBase64, type Piece } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { parseJson, stringField } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import { readHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseRfc3339 } from './kit/timestamp.js'

/**
 * Options of {@link box}. `secret` is the primary signature key, or
 * `[primaryKey, secondaryKey]` (Developer Console → Webhooks → Manage
 * signature keys). `tolerance` defaults to 600 seconds (Box's ten minutes).
 */
export type BoxOptions = ProviderOptions

/** The payload type of {@link box}: a webhook event. */
export interface BoxEvent {
  type: 'webhook_event'
  id: string
  created_at: string
  trigger: string
  webhook: { id: string; type: 'webhook' }
  source: { id: string; type: string; [field: string]: unknown }
  [field: string]: unknown
}

const PRIMARY = 'box-signature-primary'
const SECONDARY = 'box-signature-secondary'
const TIMESTAMP = 'box-delivery-timestamp'
const BOX_TOLERANCE = 600

/** The signatures sent: blank headers count as absent; at least one must be there. */
function readSignatures(request: ProviderRequest): Uint8Array[] {
  const received: Uint8Array[] = []
  for (const header of [PRIMARY, SECONDARY]) {
    const value = readHeader(request, header)
    if (value !== undefined && value.trim() !== '') received.push(readBase64Signature(request, header, 32))
  }
  if (received.length === 0)
    throw new HookguardError('signature.missing', { reason: 'box-signature-primary and -secondary are missing' })
  return received
}

function readTimestamp(request: ProviderRequest, tolerance: number | undefined): { text: string; seconds: number } {
  const text = readHeader(request, TIMESTAMP)
  if (text === undefined || text === '')
    throw new HookguardError('timestamp.missing', { reason: `${TIMESTAMP} is missing` })
  const seconds = parseRfc3339(text)
  if (seconds === undefined)
    throw new HookguardError('timestamp.malformed', { reason: `${TIMESTAMP} is not an RFC 3339 date-time` })
  checkTimestamp(seconds, request.now, tolerance)
  return { text, seconds }
}

/** RFC 3339 in UTC, whole seconds, for the signing helper. */
function formatTimestamp(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', 'Z')
}

/**
 * Box webhooks (V2, with signature keys configured).
 *
 * @example
 * ```ts
 * const provider = box({ secret: [process.env.BOX_PRIMARY_KEY!, process.env.BOX_SECONDARY_KEY!] })
 * ```
 */
export function box(options: BoxOptions): Provider<BoxEvent> {
  const name = 'box'
  const opened = openProvider(name, options, { tolerance: BOX_TOLERANCE })
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: [PRIMARY, SECONDARY],
    verify(request) {
      const received = readSignatures(request)
      if (readHeader(request, 'box-signature-version') !== '1') throw invalidSignature('box-signature-version is not 1')
      if (readHeader(request, 'box-signature-algorithm') !== 'HmacSHA256')
        throw invalidSignature('box-signature-algorithm is not HmacSHA256')
      const { text, seconds } = readTimestamp(request, tolerance)
      const pieces: Piece[] = [request.body, text]
      const verification = { timestamp: Math.floor(seconds) }
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, verification))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'trigger') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = formatTimestamp(signingTimestamp(sign))
      const [primary, secondary] = await keys.forSigning(sign)
      const signature = async (key: Uint8Array) =>
        encodeBase64(await opened.backend.hmac('sha256', key, [sign.body, timestamp]))
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...sign.headers,
        'box-delivery-id': sign.id ?? crypto.randomUUID(),
        [TIMESTAMP]: timestamp,
        'box-signature-version': '1',
        'box-signature-algorithm': 'HmacSHA256',
        [PRIMARY]: await signature(primary!),
      }
      if (secondary) headers[SECONDARY] = await signature(secondary)
      return { headers, body: sign.body }
    },
  }
}
