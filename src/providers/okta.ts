/**
 * Okta event hooks. Okta signs nothing: it sends the authentication secret
 * configured on the hook ("Authentication field" / "Authentication secret")
 * as a header, `Authorization` by default, on every request. That value is
 * compared in constant time with `secret`. It is a shared secret, not a
 * signature: it proves the sender knows it, says nothing about the body,
 * and travels in the clear inside each request — HTTPS only, and it is
 * redacted from events and logs. No timestamp is sent and no fingerprint is
 * possible; the dedupe store is the only replay protection.
 *
 * - One-time verification: when the hook is created or verified, Okta sends
 *   a GET with `X-Okta-Verification-Challenge` (and the same authentication
 *   header). The header is checked, then the challenge is answered as JSON
 *   `{"verification":"…"}`; never enqueued.
 * - Id: the body's `eventId` (one per delivery; not signed). Type: the
 *   `eventType` of the events in `data.events` when they all share one
 *   (`user.session.start` …), else `batch`.
 *
 * @module
 */
import { configError } from '../errors.js'
import { SIGN, type ProviderRequest, type SignOptions } from '../types/index.js'
import { batchType } from './kit/batch.js'
import { parseJson, record, stringField } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import { challengeValue, type HandshakeProvider, type HandshakeRequest } from './kit/handshake.js'
import { readHeader, requireSignatureHeader, tokenMayHoldCommaSpace } from './kit/headers.js'
import { openProvider, type UntimedProviderOptions } from './kit/setup.js'
import { tokenMatcher } from './kit/token.js'

export interface OktaOptions extends UntimedProviderOptions {
  /**
   * The header that carries the secret: the hook's "Authentication field".
   * @default 'authorization'
   */
  header?: string
}

/** The payload type of {@link okta}: an event hook delivery. */
export interface OktaEventHook {
  eventType: string
  eventId: string
  eventTime: string
  data: { events: Array<{ uuid: string; eventType: string; [field: string]: unknown }> }
  [field: string]: unknown
}

const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/

function checkHeaderName(value: unknown): string {
  if (value === undefined) return 'authorization'
  if (typeof value !== 'string' || !HEADER_NAME_RE.test(value.toLowerCase()))
    throw configError(`okta: header must be an HTTP header name (the hook's Authentication field)`)
  return value.toLowerCase()
}

function eventsType(payload: unknown): string | undefined {
  const events = record(record(payload)?.data)?.events
  if (!Array.isArray(events)) return stringField(payload, 'eventType')
  return batchType(events.map((event) => stringField(event, 'eventType'))) ?? stringField(payload, 'eventType')
}

/**
 * Okta event hooks.
 *
 * @example
 * ```ts
 * // The hook's Authentication secret, as configured in Okta (Workflow → Event Hooks).
 * const provider = okta({ secret: process.env.OKTA_EVENT_HOOK_SECRET! })
 * ```
 */
export function okta(options: OktaOptions): HandshakeProvider<OktaEventHook> {
  const name = 'okta'
  const opened = openProvider(name, options, { untimed: 'Okta' })
  const header = checkHeaderName(options.header)
  const tokenMatches = tokenMatcher(opened.backend)
  // The secret is typed by the admin: only a secret with ', ' lets the header hold one.
  const joinable = tokenMayHoldCommaSpace(options.secret)

  async function authenticate(request: HandshakeRequest | ProviderRequest): Promise<void> {
    const token = requireSignatureHeader(request, header, { joinable })
    if (!(await tokenMatches(await opened.keys.forRequest(request as ProviderRequest), token)))
      throw invalidSignature(`${header} does not match`)
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [header],
    handshakeMethods: ['GET'],
    async handshake(request) {
      await authenticate(request)
      const challenge = challengeValue(
        readHeader(request, 'x-okta-verification-challenge'),
        'x-okta-verification-challenge',
      )
      const headers = { 'content-type': 'application/json; charset=utf-8' }
      return { status: 200, headers, body: JSON.stringify({ verification: challenge }) }
    },
    async verify(request) {
      await authenticate(request)
      return {}
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'eventId'), type: eventsType(payload) }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const headers = { 'content-type': 'application/json', ...sign.headers }
      return { headers: { ...headers, [header]: new TextDecoder().decode(key!) }, body: sign.body }
    },
  }
}
