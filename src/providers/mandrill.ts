/**
 * Mailchimp Transactional (Mandrill) webhooks: `X-Mandrill-Signature`,
 * base64 HMAC-SHA1 keyed by the webhook's key over the webhook URL exactly
 * as registered, followed by each POST parameter, sorted by name, as
 * `name + value` (decoded, no separators). The form carries one parameter,
 * `mandrill_events`: a JSON array of up to 1000 events.
 *
 * - The URL must be the one entered in Mandrill, character for character
 *   (a trailing slash matters). Behind a proxy pass `publicUrl`.
 * - Mandrill signs decoded parameters, not bytes: a parameter respelt
 *   (`%5B` for `[`) verifies. The id is built from the decoded events, so
 *   such a respelling is still the same event. A name sent twice is a 400.
 * - No timestamp is signed: `tolerance` is refused.
 * - Creation check: Mandrill sends a HEAD to the URL and expects 200; it is
 *   answered without a body. If that fails Mandrill falls back to a POST with
 *   `mandrill_events=[]` signed with the public key `test-webhook`; that one
 *   (and any verified POST with no events) is answered 200 and never queued.
 * - Id: `sha256:` over the events' keys (`{event}:{_id}:{ts}`, or the event's
 *   JSON for sync events without `_id`), one batch per request. Type: the
 *   events' common `event` (`send`, `open`, `hard_bounce` …), else `batch`.
 *
 * @module
 */
import { encodeBase64, type Piece } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { batchId, batchType } from './kit/batch.js'
import { bodyFormPairs, formPairs, parseJson, record, stringField } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import type { HandshakeProvider } from './kit/handshake.js'
import { hmacMatch, settle } from './kit/hmac.js'
import { ABSOLUTE_RE, checkPublicUrlOption, resolvePublicUrl, type PublicUrlOption } from './kit/public-url.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

export interface MandrillOptions extends UntimedProviderOptions {
  /**
   * The webhook URL exactly as entered in Mandrill (scheme, host, path,
   * query); a function gives it per request.
   * @default the request's `url` when it is absolute; a relative `url` is refused with a 500 that names this option
   */
  publicUrl?: PublicUrlOption
}

/** One Mandrill event (message events carry `_id`, `event`, `ts` and `msg`). */
export interface MandrillEvent {
  event?: string
  type?: string
  _id?: string
  ts?: number
  [field: string]: unknown
}

const SIGNATURE = 'x-mandrill-signature'
const EVENTS = 'mandrill_events'
/** The key Mandrill signs its fallback creation check with (public, from its documentation). */
const TEST_KEY = new TextEncoder().encode('test-webhook')

/** Parameters as Mandrill signs them: names sorted, each `name + value`. A repeated name is refused. */
function signedParams(pairs: ReadonlyArray<readonly [string, string]>): { text: string; events?: string } {
  const byName = new Map<string, string>()
  for (const [name, value] of pairs) {
    if (byName.has(name)) throw new HookguardError('body.malformed', { reason: `form parameter ${name} is repeated` })
    byName.set(name, value)
  }
  let text = ''
  for (const name of [...byName.keys()].sort()) text += name + byName.get(name)!
  return { text, events: byName.get(EVENTS) }
}

function eventKey(item: unknown): string {
  const event = record(item)
  const id = stringField(event, '_id')
  if (id === undefined) return JSON.stringify(item)
  return `${stringField(event, 'event') ?? ''}:${id}:${String(event?.ts ?? '')}`
}

/**
 * Mailchimp Transactional (Mandrill) webhooks and inbound routes.
 *
 * @example
 * ```ts
 * const provider = mandrill({
 *   secret: process.env.MANDRILL_WEBHOOK_KEY!,
 *   publicUrl: 'https://example.com/webhooks/mandrill',
 * })
 * ```
 */
export function mandrill(options: MandrillOptions): HandshakeProvider<MandrillEvent[]> {
  const name = 'mandrill'
  const opened = openProvider(name, options, { untimed: 'Mandrill' })
  const publicUrl = checkPublicUrlOption(name, options.publicUrl)
  const scheme = hmacScheme(opened, 'sha1', false)

  async function check(request: ProviderRequest, received: Uint8Array[], pieces: Piece[], events?: string) {
    const match = await hmacMatch(scheme, await opened.keys.forRequest(request), pieces, received)
    if (match !== -1 || events !== '[]') return settle(scheme, match, received, {} as Verification)
    // The fallback creation check: an empty batch under the public test key, answered and never queued.
    const test = await hmacMatch(scheme, [TEST_KEY], pieces, received)
    if (test === -1) throw invalidSignature()
    return {}
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE],
    handshakeMethods: ['HEAD'],
    handshake: () => ({ status: 200, body: '' }),
    async verify(request) {
      const received = [readBase64Signature(request, SIGNATURE, 20)]
      const url = resolvePublicUrl(name, publicUrl, request)
      const { text, events } = signedParams(bodyFormPairs(request.body))
      return check(request, received, [url, text], events)
    },
    parse(request) {
      const events = bodyFormPairs(request.body).find(([key]) => key === EVENTS)?.[1]
      if (events === undefined)
        throw new HookguardError('body.malformed', { reason: `form body has no ${EVENTS} parameter` })
      const parsed = parseJson(new TextEncoder().encode(events))
      if (!Array.isArray(parsed)) throw new HookguardError('body.malformed', { reason: `${EVENTS} is not an array` })
      return parsed
    },
    async describe(payload) {
      const events = payload as unknown[]
      if (events.length === 0) return { handshake: { status: 200, body: '' } }
      const type = batchType(events.map((item) => stringField(item, 'event') ?? stringField(item, 'type')))
      return { id: await batchId(opened.backend, events.map(eventKey)), type }
    },
    async [SIGN](sign: SignOptions) {
      const url = typeof publicUrl === 'string' ? publicUrl : sign.url
      if (url === undefined || !ABSOLUTE_RE.test(url))
        throw configError('mandrill: signRequest needs an absolute url (or a string publicUrl)')
      const body = typeof sign.body === 'string' ? sign.body : new TextDecoder().decode(sign.body)
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha1', key!, [url, signedParams(formPairs(body)).text])
      const headers = { 'content-type': 'application/x-www-form-urlencoded', ...sign.headers }
      return { headers: { ...headers, [SIGNATURE]: encodeBase64(mac) }, body: sign.body, url }
    },
  }
}
