/**
 * Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 keyed by the app's
 * signing secret over `v0:{X-Slack-Request-Timestamp}:{raw body}`.
 *
 * Covers the Events API (JSON), slash commands (form fields) and
 * interactivity (a form with one `payload` field holding JSON). The raw form
 * bytes are verified; parsing happens afterwards.
 *
 * - Event id: `event_id` (Events API). Slash commands and interactivity have
 *   none: `trigger_id` is used (unique per user action), else `sha256:` + the
 *   hex SHA-256 of the raw body (Slack does not retry those, so identical
 *   bytes can only be a replay).
 * - `url_verification` and `ssl_check` are handshakes: verified first,
 *   answered, never enqueued.
 * - Retries carry `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`; they keep the
 *   `event_id`, so the dedupe store answers them as duplicates, and the
 *   headers stay visible in `event.headers`.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  bodyHashId,
  invalidSignature,
  matchHmac,
  parseForm,
  parseJson,
  type ProviderOptions,
  readHeader,
  readPrefixedHexSignature,
  readSignedTimestamp,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signV0,
  stringField,
} from './shared.js'

/** Options of {@link slack}. `secret` is the app's Signing Secret (not the deprecated verification token). */
export type SlackOptions = ProviderOptions

const PREFIX = 'v0='

function isForm(request: ProviderRequest): boolean {
  const type = readHeader(request, 'content-type')
  return type !== undefined && type.toLowerCase().startsWith('application/x-www-form-urlencoded')
}

function objectField(payload: unknown, field: string): unknown {
  return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[field] : undefined
}

/**
 * Slack Events API, slash commands and interactivity.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: slack({ secret: process.env.SLACK_SIGNING_SECRET! }) })
 * ```
 */
export function slack(options: SlackOptions): Provider {
  const name = 'slack'
  const keys = resolveSecrets(name, options?.secret)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['x-slack-signature'],
    async verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-slack-signature', PREFIX, 32)
      const { text: timestampText, seconds: timestamp } = readSignedTimestamp(
        request,
        'x-slack-request-timestamp',
        tolerance,
      )
      if (!(await matchHmac(backend, 'sha256', keys, [`v0:${timestampText}:`, request.body], [signature])))
        throw invalidSignature()
      return { timestamp }
    },
    parse(request) {
      if (!isForm(request)) return parseJson(request.body)
      const form = parseForm(request.body)
      const payload = form.payload
      if (payload === undefined) return form
      // Interactivity: the whole event is JSON in one `payload` field.
      if (typeof payload !== 'string')
        throw new HookguardError('body.malformed', { reason: 'form body has more than one payload field' })
      return parseJson(new TextEncoder().encode(payload))
    },
    async describe(payload, request) {
      const type = stringField(payload, 'type')
      if (type === 'url_verification') {
        const challenge = stringField(payload, 'challenge')
        if (challenge === undefined)
          throw new HookguardError('body.malformed', { reason: 'url_verification without a challenge' })
        return {
          type,
          handshake: { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: challenge },
        }
      }
      if (stringField(payload, 'ssl_check') === '1') return { type: 'ssl_check', handshake: { status: 200, body: '' } }
      if (type === 'event_callback') {
        const inner = stringField(objectField(payload, 'event'), 'type')
        return { id: stringField(payload, 'event_id'), type: inner ?? type }
      }
      const eventId = stringField(payload, 'event_id')
      if (eventId !== undefined) return { id: eventId, type }
      const command = stringField(payload, 'command')
      const id = stringField(payload, 'trigger_id') ?? (await bodyHashId(backend, request.body))
      return { id, type: type ?? (command !== undefined ? 'slash_command' : undefined) }
    },
    [SIGN]: (sign: SignOptions) =>
      signV0(backend, keys[0]!, sign, {
        timestamp: 'x-slack-request-timestamp',
        signature: 'x-slack-signature',
        contentType: 'application/json',
      }),
  }
}
