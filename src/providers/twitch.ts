/**
 * Twitch EventSub over webhooks: `Twitch-Eventsub-Message-Signature:
 * sha256=<hex>`, HMAC-SHA256 keyed by the subscription's secret (10–100
 * characters, as text) over message id + timestamp + raw body, concatenated
 * with no separator. The message id is therefore signed.
 *
 * - `Twitch-Eventsub-Message-Timestamp` is RFC 3339 with up to nanosecond
 *   fractions; it is parsed strictly and checked both ways. Twitch
 *   recommends rejecting messages older than 10 minutes, so that is the
 *   default tolerance.
 * - `webhook_callback_verification`: verified, then answered 200 with the raw
 *   `challenge` as text/plain; never enqueued.
 * - `revocation`: an event of type `revocation` (payload has the reason in
 *   `subscription.status`).
 * - `notification`: type from `subscription.type` (`channel.follow` …).
 * - Id: `Twitch-Eventsub-Message-Id`, which Twitch keeps on resends.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type EventDescription, type Provider, type SignOptions, type Verification } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { readHeader, readPrefixedHexSignature, requireIdHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseRfc3339 } from './kit/timestamp.js'

/** Options of {@link twitch}. `tolerance` defaults to 600 seconds (Twitch's recommendation). */
export type TwitchOptions = ProviderOptions

const PREFIX = 'sha256='
const DEFAULT_TWITCH_TOLERANCE = 600

/** RFC 3339 text for seconds since the epoch, with nanosecond digits as Twitch sends. */
function formatRfc3339(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', '.000000000Z')
}

function describeTwitch(payload: unknown, verification: Verification): EventDescription {
  const messageType = verification.type
  if (messageType === 'webhook_callback_verification') {
    const challenge = stringField(payload, 'challenge')
    if (challenge === undefined)
      throw new HookguardError('body.malformed', { reason: 'webhook_callback_verification without a challenge' })
    const headers = { 'content-type': 'text/plain; charset=utf-8' }
    return { type: messageType, handshake: { status: 200, headers, body: challenge } }
  }
  if (messageType === 'revocation') return { id: verification.id, type: 'revocation' }
  if (messageType !== 'notification')
    throw new HookguardError('header.malformed', { reason: 'twitch-eventsub-message-type is missing or unknown' })
  return { id: verification.id, type: stringField(record(payload)?.subscription, 'type') ?? 'notification' }
}

/**
 * Twitch EventSub webhook transport.
 *
 * @example
 * ```ts
 * const provider = twitch({ secret: process.env.TWITCH_EVENTSUB_SECRET! })
 * ```
 */
export function twitch(options: TwitchOptions): Provider {
  const name = 'twitch'
  // Twitch accepts subscription secrets of 10 to 100 ASCII characters.
  const opened = openProvider(name, options, { tolerance: DEFAULT_TWITCH_TOLERANCE, secret: { minBytes: 10 } })
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['twitch-eventsub-message-signature'],
    verify(request) {
      const signature = readPrefixedHexSignature(request, 'twitch-eventsub-message-signature', PREFIX, 32)
      const id = requireIdHeader(request, 'twitch-eventsub-message-id')
      const timestampText = readHeader(request, 'twitch-eventsub-message-timestamp')
      if (timestampText === undefined || timestampText === '')
        throw new HookguardError('timestamp.missing', { reason: 'twitch-eventsub-message-timestamp is missing' })
      const seconds = parseRfc3339(timestampText)
      if (seconds === undefined)
        throw new HookguardError('timestamp.malformed', { reason: 'twitch-eventsub-message-timestamp is not RFC 3339' })
      checkTimestamp(seconds, request.now, tolerance)
      const type = readHeader(request, 'twitch-eventsub-message-type') || undefined
      const verification = { id, timestamp: Math.floor(seconds), type }
      return withKeys(keys, request, (k) =>
        verifyHmac(scheme, k, [id, timestampText, request.body], [signature], verification),
      )
    },
    parse: (request) => parseJson(request.body),
    describe: (payload, _request, verification) => describeTwitch(payload, verification),
    async [SIGN](sign: SignOptions) {
      const id = sign.id ?? crypto.randomUUID()
      const timestampText = formatRfc3339(signingTimestamp(sign))
      const [key] = await keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [id, timestampText, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          'twitch-eventsub-message-type': 'notification',
          'twitch-eventsub-subscription-type': 'channel.follow',
          'twitch-eventsub-subscription-version': '2',
          ...sign.headers,
          'twitch-eventsub-message-id': id,
          'twitch-eventsub-message-timestamp': timestampText,
          'twitch-eventsub-message-signature': `${PREFIX}${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
