/**
 * Twitch EventSub over webhooks: `Twitch-Eventsub-Message-Signature:
 * sha256=<hex>`, HMAC-SHA256 keyed by the subscription's secret (10–100
 * characters, as text) over message id + timestamp + raw body, concatenated
 * with no separator.
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
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import {
  checkTimestamp,
  invalidSignature,
  matchHmac,
  parseJson,
  type ProviderOptions,
  readHeader,
  readPrefixedHexSignature,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signingTimestamp,
  stringField,
} from './shared.js'

/** Options of {@link twitch}. `tolerance` defaults to 600 seconds (Twitch's recommendation). */
export type TwitchOptions = ProviderOptions

const PREFIX = 'sha256='
const DEFAULT_TWITCH_TOLERANCE = 600
const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * Strict RFC 3339 date-time to seconds since the epoch (fractional). Returns
 * undefined for anything else: no leap seconds, no missing offset, no
 * out-of-range fields.
 */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339_RE.exec(text)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (day > daysInMonth) return undefined
  let offsetMinutes = 0
  if (!zulu) {
    const offsetHours = Number(oh)
    const offsetMins = Number(om)
    if (offsetHours > 23 || offsetMins > 59) return undefined
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins)
  }
  // Date.UTC maps years 0-99 to 1900-1999; no real delivery is that old.
  if (year < 1970) return undefined
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) / 1000
  return utc - offsetMinutes * 60 + (fraction ? Number(`0.${fraction}`) : 0)
}

/** RFC 3339 text for seconds since the epoch, with nanosecond digits as Twitch sends. */
function formatRfc3339(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', '.000000000Z')
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
  const keys = resolveSecrets(name, options?.secret, { minBytes: 10 })
  const tolerance = resolveTolerance(name, {
    ...options,
    tolerance:
      options.skipTimestampCheck === true ? options.tolerance : (options.tolerance ?? DEFAULT_TWITCH_TOLERANCE),
  })
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['twitch-eventsub-message-signature'],
    async verify(request) {
      const signature = readPrefixedHexSignature(request, 'twitch-eventsub-message-signature', PREFIX, 32)
      const id = readHeader(request, 'twitch-eventsub-message-id')
      if (id === undefined || id === '')
        throw new HookguardError('id.missing', { reason: 'twitch-eventsub-message-id is missing' })
      const timestampText = readHeader(request, 'twitch-eventsub-message-timestamp')
      if (timestampText === undefined || timestampText === '')
        throw new HookguardError('timestamp.missing', { reason: 'twitch-eventsub-message-timestamp is missing' })
      const seconds = parseRfc3339(timestampText)
      if (seconds === undefined)
        throw new HookguardError('timestamp.malformed', {
          reason: 'twitch-eventsub-message-timestamp is not an RFC 3339 date-time',
        })
      checkTimestamp(seconds, request.now, tolerance)
      if (!(await matchHmac(backend, 'sha256', keys, [id, timestampText, request.body], [signature])))
        throw invalidSignature()
      const messageType = readHeader(request, 'twitch-eventsub-message-type')
      return { id, timestamp: Math.floor(seconds), type: messageType || undefined }
    },
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      const messageType = verification.type
      if (messageType === 'webhook_callback_verification') {
        const challenge = stringField(payload, 'challenge')
        if (challenge === undefined)
          throw new HookguardError('body.malformed', { reason: 'webhook_callback_verification without a challenge' })
        return {
          type: messageType,
          handshake: { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: challenge },
        }
      }
      if (messageType === 'revocation') return { id: verification.id, type: 'revocation' }
      if (messageType !== 'notification') {
        throw new HookguardError('header.malformed', { reason: 'twitch-eventsub-message-type is missing or unknown' })
      }
      const subscription =
        typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>).subscription : undefined
      return { id: verification.id, type: stringField(subscription, 'type') ?? 'notification' }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = signingTimestamp(sign)
      const id = sign.id ?? crypto.randomUUID()
      const timestampText = formatRfc3339(timestamp)
      const mac = await backend.hmac('sha256', keys[0]!, [id, timestampText, sign.body])
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
