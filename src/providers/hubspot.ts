/**
 * HubSpot, signature v3: `X-HubSpot-Signature-v3`, the base64 HMAC-SHA256,
 * keyed by the app's client secret, of `method + URI + body + timestamp`,
 * where the timestamp is `X-HubSpot-Request-Timestamp` (milliseconds) and
 * the URI is the full URL HubSpot called with these escapes decoded, as
 * HubSpot's guide lists them: `%3A :`, `%2F /`, `%3F ?`, `%40 @`, `%21 !`,
 * `%24 $`, `%27 '`, `%28 (`, `%29 )`, `%2A *`, `%2C ,`, `%3B ;`.
 *
 * - The URL must be the one HubSpot called (the webhook's target URL, with
 *   any query string HubSpot added). Behind a proxy pass `publicUrl`.
 * - The timestamp is checked both ways (default 300 s: HubSpot says to
 *   reject requests older than 5 minutes).
 * - v1 and v2 signatures (`X-HubSpot-Signature`) are never used: they are a
 *   plain SHA-256 of `secret + …`, open to length extension, and sign no
 *   timestamp, so a captured request replays forever. A request without v3
 *   is a 401.
 * - Id: webhook bodies are arrays of up to 100 events, and HubSpot bumps each
 *   event's `attemptNumber` on a retry, so neither the body nor its hash is
 *   stable. The id is `sha256:` + the hex SHA-256 of the events as JSON
 *   with `attemptNumber` left out: a retry of the same batch is a
 *   duplicate. HubSpot notes that `eventId` alone is not unique; handlers
 *   that act per event should dedupe per event too (events of a failed batch
 *   may be retried in other batches). Other bodies (CRM cards, workflow
 *   actions) get `sha256:` + the hex SHA-256 of the raw body.
 * - Type: the events' shared `subscriptionType` (`contact.creation` …), else
 *   `batch`.
 *
 * @module
 */
import { encodeBase64, encodeHex } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson, record, stringField } from './kit/body.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { batchType } from './kit/batch.js'
import { readHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { ABSOLUTE_RE, checkPublicUrlOption, resolvePublicUrl, type PublicUrlOption } from './kit/public-url.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp } from './kit/timestamp.js'

export interface HubSpotOptions extends ProviderOptions {
  /**
   * The URL HubSpot calls, exactly as configured in the app (scheme, host,
   * path). A string is the fixed URL (the request's query string, which
   * HubSpot signs, is appended when it has none); a function builds it per
   * request.
   * @default the request's `url` when it is absolute; a relative one is refused with a 500 that names this option
   */
  publicUrl?: PublicUrlOption
}

const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp'
const DECODED: Record<string, string> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
}
const ESCAPE_RE = /%(3[abf]|2[fac147-9]|40)/gi

/** The URI as HubSpot signs it: the listed escapes decoded, everything else as sent. */
export function hubspotSignedUri(url: string): string {
  return url.replace(ESCAPE_RE, (escape) => DECODED[escape.slice(1).toUpperCase()]!)
}

/** Milliseconds since the epoch: 1 to 15 ASCII digits. */
function readMillis(request: ProviderRequest): { text: string; ms: number } {
  const text = readHeader(request, TIMESTAMP_HEADER)
  if (text === undefined || text === '')
    throw new HookguardError('timestamp.missing', { reason: `header ${TIMESTAMP_HEADER} is missing` })
  if (!/^[0-9]{1,15}$/.test(text))
    throw new HookguardError('timestamp.malformed', {
      reason: `header ${TIMESTAMP_HEADER} is not a whole number of milliseconds`,
    })
  return { text, ms: Number(text) }
}

/** Events as JSON without the per-attempt `attemptNumber`. */
function stableEvents(events: unknown[]): string {
  return JSON.stringify(
    events.map((event) => {
      const fields = record(event)
      if (!fields) return event
      const { attemptNumber: _attempt, ...rest } = fields
      return rest
    }),
  )
}

/**
 * HubSpot webhooks and other signed HubSpot requests (CRM cards, workflow
 * actions), signature v3.
 *
 * @example
 * ```ts
 * const provider = hubspot({
 *   secret: process.env.HUBSPOT_CLIENT_SECRET!,
 *   publicUrl: 'https://example.com/webhooks/hubspot',
 * })
 * ```
 */
export function hubspot(options: HubSpotOptions): Provider {
  const name = 'hubspot'
  const opened = openProvider(name, options)
  const { backend, tolerance, keys } = opened
  const publicUrl = checkPublicUrlOption(name, options.publicUrl)
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['x-hubspot-signature-v3', 'x-hubspot-signature'],
    verify(request) {
      const received = [readBase64Signature(request, 'x-hubspot-signature-v3', 32)]
      const { text, ms } = readMillis(request)
      checkTimestamp(ms / 1000, request.now, tolerance)
      const uri = hubspotSignedUri(resolvePublicUrl(name, publicUrl, request))
      const pieces = [request.method, uri, request.body, text]
      const verification = { timestamp: Math.floor(ms / 1000) }
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, verification))
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      if (!Array.isArray(payload)) {
        return { id: await bodyHashId(backend, request.body), type: stringField(payload, 'subscriptionType') }
      }
      const digest = await backend.digest('sha256', new TextEncoder().encode(stableEvents(payload)))
      const type = batchType(payload.map((event) => stringField(event, 'subscriptionType')))
      return { id: `sha256:${encodeHex(digest)}`, type }
    },
    [SIGN]: signer(opened, publicUrl),
  }
}

function signer(opened: ReturnType<typeof openProvider>, publicUrl: PublicUrlOption | undefined) {
  return async function signHubSpot(sign: SignOptions) {
    // A fixed publicUrl is what verify() will use, so it is what gets signed.
    const url = typeof publicUrl === 'string' ? publicUrl : sign.url
    if (url === undefined || !ABSOLUTE_RE.test(url))
      throw configError('hubspot: signRequest needs an absolute url (or a string publicUrl)')
    const ms = sign.timestamp !== undefined ? signingTimestamp(sign) * 1000 : (sign.now ?? Date.now)()
    const timestamp = String(Math.floor(ms))
    const [key] = await opened.keys.forSigning(sign)
    const mac = await opened.backend.hmac('sha256', key!, ['POST', hubspotSignedUri(url), sign.body, timestamp])
    return {
      headers: {
        'content-type': 'application/json',
        ...sign.headers,
        [TIMESTAMP_HEADER]: timestamp,
        'x-hubspot-signature-v3': encodeBase64(mac),
      },
      body: sign.body,
      url,
    }
  }
}
