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
 *   bytes can only be a replay). All three come from the signed body.
 * - `url_verification` and `ssl_check` are handshakes: verified first,
 *   answered, never enqueued.
 * - Retries carry `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`; they keep the
 *   `event_id`, so the dedupe store answers them as duplicates, and the
 *   headers stay visible in `event.headers`.
 *
 * @module
 */
import type { AppRateLimitedEvent, SlackEvent } from '@slack/types'
import { HookguardError } from '../errors.js'
import { SIGN, type EventDescription, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyHashId, parseForm, parseJson, record, stringField } from './kit/body.js'
import { isForm, readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signV0 } from './kit/sign.js'
import { readSignedTimestamp } from './kit/timestamp.js'

/** Options of {@link slack}. `secret` is the app's Signing Secret (not the deprecated verification token). */
export type SlackOptions = ProviderOptions

/** An Events API delivery: the envelope around one of Slack's event types (types from the optional `@slack/types`). */
export interface SlackEventCallback<E extends SlackEvent = SlackEvent> {
  type: 'event_callback'
  event_id: string
  event_time: number
  team_id?: string
  api_app_id?: string
  event: E
  [field: string]: unknown
}

/** A payload outside the Events API: slash command fields, an interactivity payload (`block_actions` …). */
export type SlackOtherPayload = Record<string, unknown> & { type?: string }

/**
 * The payload type of {@link slack}: an Events API envelope, or another
 * object (slash command fields, an interactivity payload, a handshake).
 */
export type SlackPayload = SlackEventCallback | SlackOtherPayload

/**
 * Types hookguard gives deliveries outside the Events API (`@slack/types` publishes no payload types for them).
 * @inline
 */
type SlackOtherType =
  | 'slash_command'
  | 'block_actions'
  | 'block_suggestion'
  | 'view_submission'
  | 'view_closed'
  | 'shortcut'
  | 'message_action'
  | 'interactive_message'
  | 'dialog_submission'
  | 'dialog_cancellation'
  | 'dialog_suggestion'
  | 'workflow_step_edit'

/**
 * Slack's types as hookguard names them → payloads, for handlers by type:
 * an Events API delivery is typed by its inner event (`app_mention` →
 * the envelope around an `AppMentionEvent`); `app_rate_limited` comes
 * bare; slash commands (`slash_command`) and interactivity payloads
 * (`block_actions` …) are plain objects.
 */
export type SlackEvents = {
  [E in Exclude<SlackEvent, AppRateLimitedEvent> as E['type']]: SlackEventCallback<E>
} & { app_rate_limited: AppRateLimitedEvent } & { [K in SlackOtherType]: SlackOtherPayload }

/** What {@link slack} returns: named, so inferred types that mention it stay portable in declarations. */
export type SlackProvider = Provider<SlackPayload, SlackEvents>

const PREFIX = 'v0='

function describeSlack(payload: unknown): EventDescription | undefined {
  const type = stringField(payload, 'type')
  if (type === 'url_verification') {
    const challenge = stringField(payload, 'challenge')
    if (challenge === undefined)
      throw new HookguardError('body.malformed', { reason: 'url_verification without a challenge' })
    const headers = { 'content-type': 'text/plain; charset=utf-8' }
    return { type, handshake: { status: 200, headers, body: challenge } }
  }
  if (stringField(payload, 'ssl_check') === '1') return { type: 'ssl_check', handshake: { status: 200, body: '' } }
  if (type === 'event_callback') {
    const inner = stringField(record(record(payload)?.event), 'type')
    return { id: stringField(payload, 'event_id'), type: inner ?? type }
  }
  const eventId = stringField(payload, 'event_id')
  if (eventId !== undefined) return { id: eventId, type }
  return undefined
}

function parseSlack(request: ProviderRequest): unknown {
  if (!isForm(request)) return parseJson(request.body)
  const form = parseForm(request.body)
  const payload = form.payload
  if (payload === undefined) return form
  // Interactivity: the whole event is JSON in one `payload` field.
  if (typeof payload !== 'string')
    throw new HookguardError('body.malformed', { reason: 'form body has more than one payload field' })
  return parseJson(new TextEncoder().encode(payload))
}

/**
 * Slack Events API, slash commands and interactivity.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: slack({ secret: process.env.SLACK_SIGNING_SECRET! }) })
 * ```
 */
export function slack(options: SlackOptions): SlackProvider {
  const name = 'slack'
  const opened = openProvider(name, options)
  const { backend, tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['x-slack-signature'],
    verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-slack-signature', PREFIX, 32)
      const { text, seconds } = readSignedTimestamp(request, 'x-slack-request-timestamp', tolerance)
      const pieces = [`v0:${text}:`, request.body]
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, [signature], { timestamp: seconds }))
    },
    parse: parseSlack,
    async describe(payload, request) {
      const known = describeSlack(payload)
      if (known) return known
      const type = stringField(payload, 'type')
      const command = stringField(payload, 'command')
      const id = stringField(payload, 'trigger_id') ?? (await bodyHashId(backend, request.body))
      return { id, type: type ?? (command !== undefined ? 'slash_command' : undefined) }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await keys.forSigning(sign)
      const headers = {
        timestamp: 'x-slack-request-timestamp',
        signature: 'x-slack-signature',
        contentType: 'application/json',
      }
      return signV0(backend, key!, sign, headers)
    },
  }
}
