/**
 * Trello: `X-Trello-Webhook`, base64 HMAC-SHA1 keyed by the application's
 * secret (trello.com/app-key, not a token) over the raw body followed by the
 * callback URL exactly as it was given when the webhook was created.
 *
 * - The URL must be the registered one, character for character (scheme,
 *   host, path, query). Behind a proxy the request's own URL is not it:
 *   pass `callbackUrl`.
 * - Trello documents that it signs "binary strings": each UTF-16 unit of
 *   body + URL cut to its low 8 bits, so for non-ASCII bodies the MAC is not
 *   over the UTF-8 bytes. When the body or URL holds non-ASCII, that
 *   documented form of the strict UTF-8 text is tried first, then the raw
 *   bytes; `signRequest` signs the documented form.
 *   The documented form maps distinct characters to one byte (`–` U+2013 and
 *   `\u0013` both become 0x13), so a captured delivery could be resent with
 *   such characters swapped; the verified MAC is therefore the fingerprint,
 *   and such a resend is a duplicate rather than a new event.
 * - HEAD: Trello checks the callback URL with a HEAD request when the
 *   webhook is created and expects 200; it is answered without a body.
 * - Id: the action's `action.id` (in the signed body, kept on retries);
 *   type: `action.type` (`updateCard` …). No timestamp is signed.
 *
 * @module
 */
import { encodeBase64 } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type ProviderRequest, type SignOptions } from '../types/index.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { isAscii, lowBytes, utf8LowBytes } from '../internal/parse.js'
import { parseJson, record, stringField } from './kit/body.js'
import type { HandshakeProvider } from './kit/handshake.js'
import { hmacMatch, settle } from './kit/hmac.js'
import { ABSOLUTE_RE, ownUrl } from './kit/public-url.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

const NON_ASCII_RE = /[\u0080-\uffff]/

/** The callback URL as registered, or a function that gives it for a request. */
export type CallbackUrlOption = string | ((request: ProviderRequest) => string)

export interface TrelloOptions extends UntimedProviderOptions {
  /**
   * The `callbackURL` exactly as given when the webhook was created; Trello
   * signs it. A function gives it per request (one handler for several
   * webhooks).
   * @default the request's `url` when it is absolute; a relative `url` is refused with a 500 that names this option
   */
  callbackUrl?: CallbackUrlOption
}

/** The payload type of {@link trello}: the action and the watched model. */
export interface TrelloPayload {
  action: { id: string; type: string; date?: string; data?: unknown; [field: string]: unknown }
  model: { id: string; [field: string]: unknown }
}

function checkCallbackUrl(value: unknown): CallbackUrlOption | undefined {
  if (value === undefined || typeof value === 'function') return value as CallbackUrlOption | undefined
  if (typeof value !== 'string' || !ABSOLUTE_RE.test(value))
    throw configError(
      'trello: callbackUrl must be the absolute http(s) URL the webhook was created with, or a function',
    )
  return value
}

function callbackUrlOf(option: CallbackUrlOption | undefined, request: ProviderRequest): string {
  // Outside the try: a repeated Host is the client's 400, not a misconfiguration.
  let url: unknown = typeof option === 'function' ? undefined : (option ?? ownUrl(request))
  try {
    if (typeof option === 'function') url = option(request)
  } catch (error) {
    throw new HookguardError('receiver.misconfigured', {
      reason: 'trello: the callbackUrl function threw',
      cause: error,
    })
  }
  if (typeof url !== 'string' || !ABSOLUTE_RE.test(url))
    throw new HookguardError('receiver.misconfigured', {
      reason: 'trello signs the callback URL, but the request URL is not absolute; pass callbackUrl to trello()',
    })
  return url
}

/**
 * Trello webhooks.
 *
 * @example
 * ```ts
 * const provider = trello({
 *   secret: process.env.TRELLO_APP_SECRET!,
 *   callbackUrl: 'https://example.com/webhooks/trello',
 * })
 * ```
 */
export function trello(options: TrelloOptions): HandshakeProvider<TrelloPayload> {
  const name = 'trello'
  const opened = openProvider(name, options, { untimed: 'Trello' })
  const callbackUrl = checkCallbackUrl(options.callbackUrl)
  const scheme = hmacScheme(opened, 'sha1', true)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-trello-webhook'],
    handshakeMethods: ['HEAD'],
    handshake: () => ({ status: 200, body: '' }),
    async verify(request) {
      const received = [readBase64Signature(request, 'x-trello-webhook', 20)]
      const url = callbackUrlOf(callbackUrl, request)
      const keys = await opened.keys.forRequest(request)
      // Only a non-ASCII body or URL has two forms. Trello's documented binary string goes first, so a
      // genuine delivery pays one MAC pass and a forged one two (plus the transcode, a fraction of one).
      const binary = isAscii(request.body) && !NON_ASCII_RE.test(url) ? undefined : utf8LowBytes(request.body)
      // A body that is not UTF-8 has no binary-string form; only its raw bytes are checked.
      let match = binary ? await hmacMatch(scheme, keys, [binary, lowBytes(url)], received) : -1
      if (match === -1) match = await hmacMatch(scheme, keys, [request.body, url], received)
      return settle(scheme, match, received, {})
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      const action = record(payload)?.action
      return { id: stringField(action, 'id'), type: stringField(action, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const url = typeof callbackUrl === 'string' ? callbackUrl : sign.url
      if (url === undefined || !ABSOLUTE_RE.test(url))
        throw configError('trello: signRequest needs an absolute url (or a string callbackUrl)')
      const [key] = await opened.keys.forSigning(sign)
      // As Trello signs: the documented binary string (the UTF-8 bytes themselves for an ASCII body).
      const body = typeof sign.body === 'string' ? lowBytes(sign.body) : (utf8LowBytes(sign.body) ?? sign.body)
      const mac = await opened.backend.hmac('sha1', key!, [body, lowBytes(url)])
      const headers = { 'content-type': 'application/json', ...sign.headers }
      return { headers: { ...headers, 'x-trello-webhook': encodeBase64(mac) }, body: sign.body, url }
    },
  }
}
