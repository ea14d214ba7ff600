/**
 * Zendesk: `X-Zendesk-Webhook-Signature`, the base64 HMAC-SHA256, keyed by
 * the webhook's signing secret, of `X-Zendesk-Webhook-Signature-Timestamp`
 * (RFC 3339, `2024-05-01T12:00:00Z`, as sent) followed directly by the raw
 * body. The timestamp is checked both ways (default 300 s; Zendesk names
 * no window of its own).
 *
 * - Event webhooks (subscribed to `zen:event-type:*` events) carry the
 *   event's `id` in the body: that signed id is the event id, and a retry
 *   re-signed with a fresh timestamp is still a duplicate.
 * - Trigger and automation webhooks carry whatever body the admin wrote.
 *   Their id is the `X-Zendesk-Webhook-Invocation-Id` header (one per
 *   invocation), else `sha256:` + the hex SHA-256 of the body. The header
 *   is not signed, so the verified MAC is the fingerprint: a captured
 *   delivery resent under a fresh invocation id inside the tolerance window
 *   is a duplicate.
 * - Type: the event's `type` (`zen:event-type:ticket.created` …); none for
 *   trigger webhooks.
 * - Body: JSON, form or XML as configured; JSON is parsed, a form becomes an
 *   object, anything else is handed over as text.
 *
 * @module
 */
import { encodeBase64 } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { bodyHashId, bodyText, parseForm, parseJson, stringField } from './kit/body.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { isForm, readHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseRfc3339 } from './kit/timestamp.js'

/** Options of {@link zendesk}. `secret` is the webhook's signing secret (Admin Center or the Webhooks API). */
export type ZendeskOptions = ProviderOptions

const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp'
const EVENT_PREFIX = 'zen:event-type:'

function readTimestamp(request: ProviderRequest, tolerance: number | undefined): { text: string; seconds: number } {
  const text = readHeader(request, TIMESTAMP_HEADER)
  if (text === undefined || text === '')
    throw new HookguardError('timestamp.missing', { reason: `header ${TIMESTAMP_HEADER} is missing` })
  const seconds = parseRfc3339(text)
  if (seconds === undefined)
    throw new HookguardError('timestamp.malformed', { reason: `header ${TIMESTAMP_HEADER} is not an RFC 3339 time` })
  checkTimestamp(seconds, request.now, tolerance)
  return { text, seconds: Math.floor(seconds) }
}

function isJson(request: ProviderRequest): boolean {
  const type = readHeader(request, 'content-type')
  return type === undefined || /json/i.test(type)
}

/** The body as the handler gets it: JSON, a form object, or text. */
function parseBody(request: ProviderRequest): unknown {
  if (isForm(request)) return parseForm(request.body)
  if (isJson(request)) return parseJson(request.body)
  return bodyText(request.body)
}

/**
 * Zendesk webhooks (event subscriptions, triggers and automations).
 *
 * @example
 * ```ts
 * const provider = zendesk({ secret: process.env.ZENDESK_WEBHOOK_SECRET! })
 * ```
 */
export function zendesk(options: ZendeskOptions): Provider {
  const name = 'zendesk'
  const opened = openProvider(name, options)
  const { backend, tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', true)
  const payloads = new WeakMap<ProviderRequest, unknown>()

  /** After the MAC: a signed event id, else the invocation header plus the fingerprint. */
  function identify<T extends Verification>(request: ProviderRequest, verification: T): T {
    let payload: unknown
    try {
      payload = parseBody(request)
      payloads.set(request, payload)
    } catch {
      // Not parseable: parse() reports it as a 400.
    }
    const type = stringField(payload, 'type')
    const eventId = stringField(payload, 'id')
    if (type?.startsWith(EVENT_PREFIX) && eventId !== undefined) {
      delete verification.fingerprint
      verification.id = eventId
      verification.type = type
    } else verification.id = readHeader(request, 'x-zendesk-webhook-invocation-id') || undefined
    return verification
  }

  return {
    name,
    tolerance,
    sensitiveHeaders: ['x-zendesk-webhook-signature'],
    verify(request) {
      const received = [readBase64Signature(request, 'x-zendesk-webhook-signature', 32)]
      const { text, seconds } = readTimestamp(request, tolerance)
      const pieces = [text, request.body]
      return withKeys(keys, request, (k) => {
        const verified = verifyHmac(scheme, k, pieces, received, { timestamp: seconds } as Verification)
        return verified instanceof Promise ? verified.then((v) => identify(request, v)) : identify(request, verified)
      })
    },
    parse: (request) => (payloads.has(request) ? payloads.get(request) : parseBody(request)),
    async describe(payload, request, verification) {
      return { id: verification.id ?? (await bodyHashId(backend, request.body)), type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = new Date(signingTimestamp(sign) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      const [key] = await keys.forSigning(sign)
      const mac = await backend.hmac('sha256', key!, [timestamp, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          'x-zendesk-webhook-id': '01HZZZZZZZZZZZZZZZZZZZZZZZ',
          ...sign.headers,
          'x-zendesk-webhook-invocation-id': sign.id ?? crypto.randomUUID(),
          [TIMESTAMP_HEADER]: timestamp,
          'x-zendesk-webhook-signature': encodeBase64(mac),
        },
        body: sign.body,
      }
    },
  }
}
