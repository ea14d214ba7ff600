/**
 * Postmark webhooks (delivery, bounce, spam complaint, open, click,
 * subscription change, inbound). Postmark signs nothing: the protection it
 * offers is HTTP basic auth, with the credentials put in the webhook URL
 * (`https://user:password@example.com/hooks`) and sent by Postmark as
 * `Authorization: Basic …` on every request, over HTTPS.
 *
 * What the credentials check protects: only a sender that knows the
 * password gets a delivery accepted (the comparison is constant-time and
 * does not show the password's length). What it does not protect:
 *
 * - the body: nothing covers it, so anyone who has the credentials (or one
 *   captured request, if TLS is broken or terminated somewhere untrusted)
 *   can send any payload;
 * - replays: nothing is timestamped and no MAC exists to fingerprint, so a
 *   captured request can be resent at will; the dedupe store (by the id
 *   below) is the only guard, and an edited resend is a new event;
 * - the credentials themselves travel in every request: HTTPS only, and
 *   `Authorization` is redacted from events and logs.
 *
 * - Id: `{RecordType}:{MessageID}`, plus the record's own time where it has
 *   one (`DeliveredAt`, `BouncedAt`, `ReceivedAt`, `ChangedAt`), since one
 *   message can be opened or clicked many times; inbound messages (no
 *   `RecordType`) are `Inbound:{MessageID}`. Type: `RecordType`, or
 *   `Inbound`.
 *
 * @module
 */
import { decodeBase64, encodeBase64, type CryptoBackend } from '../crypto.js'
import { configError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { keySource, type ResolverSettings, type SecretOption } from './kit/keys.js'
import { requireOptions, resolveBackend } from './kit/setup.js'
import { refuseTolerance, type TimestampOptions } from './kit/timestamp.js'
import { tokenMatcher } from './kit/token.js'

export interface PostmarkOptions extends ResolverSettings {
  /** The basic-auth user name in the webhook URL. */
  username: string
  /**
   * The basic-auth password in the webhook URL; several during a change of
   * password (any one passes), or a function that gives it per request.
   */
  password: SecretOption
  /**
   * Crypto implementation.
   * @default node:crypto when present, else Web Crypto
   */
  crypto?: CryptoBackend
}

/** Postmark's record timestamps, by record type: one message has many opens and clicks. */
const TIME_FIELDS = ['DeliveredAt', 'BouncedAt', 'ReceivedAt', 'ChangedAt']
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
/** A credentials header far longer than any URL's user info is malformed, not slow. */
const MAX_CREDENTIALS = 1024
const MIN_PASSWORD_BYTES = 16

function checkUsername(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 256)
    throw configError('postmark: username must be the non-empty user name of the webhook URL')
  if (value.includes(':') || [...value].some((c) => c < ' ' || c === '\u007f'))
    throw configError('postmark: username may not contain ":" or control characters (RFC 7617)')
  return value
}

/** The `user:password` text of a Basic authorization header. */
function credentials(request: ProviderRequest): string {
  const header = requireSignatureHeader(request, 'authorization')
  const match = /^basic +([^ ]+)$/i.exec(header)
  if (!match) throw invalidSignature('authorization is not Basic credentials')
  if (match[1]!.length > MAX_CREDENTIALS) throw malformedSignature('authorization credentials are too long')
  const bytes = decodeBase64(match[1]!)
  if (!bytes) throw malformedSignature('authorization credentials are not padded base64')
  try {
    return strictUtf8.decode(bytes)
  } catch {
    throw malformedSignature('authorization credentials are not UTF-8')
  }
}

/** A password as the `user:password` bytes a Basic header carries; the password alone must have 16 bytes. */
function credentialBytes(username: string): (password: string) => Uint8Array {
  const utf8 = new TextEncoder()
  return (password) => {
    const length = utf8.encode(password).length
    if (length < MIN_PASSWORD_BYTES)
      throw new Error(`is too short (${length} bytes; at least ${MIN_PASSWORD_BYTES} required)`)
    return utf8.encode(`${username}:${password}`)
  }
}

function recordId(payload: unknown): { id?: string; type?: string } {
  const message = stringField(payload, 'MessageID')
  const type = stringField(payload, 'RecordType') ?? (message ? 'Inbound' : undefined)
  if (!message || !type) return { type }
  const time = TIME_FIELDS.map((field) => stringField(payload, field)).find((value) => value !== undefined)
  return { id: time ? `${type}:${message}:${time}` : `${type}:${message}`, type }
}

/**
 * Postmark webhooks behind basic auth.
 *
 * @example
 * ```ts
 * // Webhook URL in Postmark: https://postmark:<password>@example.com/webhooks/postmark
 * const provider = postmark({ username: 'postmark', password: process.env.POSTMARK_WEBHOOK_PASSWORD! })
 * ```
 */
export function postmark(options: PostmarkOptions): Provider {
  const name = 'postmark'
  requireOptions(name, options, '{ username, password }')
  if ('secret' in options)
    throw configError(
      'postmark: Postmark signs nothing; pass { username, password } (the basic-auth credentials of the webhook URL)',
    )
  refuseTolerance(name, 'Postmark', options as TimestampOptions)
  const username = checkUsername(options.username)
  const keys = keySource(name, options.password, { option: 'password', decode: credentialBytes(username) }, options)
  const backend = resolveBackend(options.crypto)
  const matches = tokenMatcher(backend)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['authorization'],
    async verify(request) {
      const given = credentials(request)
      if (!(await matches(await keys.forRequest(request), given))) throw invalidSignature('credentials do not match')
      return {}
    },
    parse: (request) => parseJson(request.body),
    describe: (payload) => recordId(payload),
    async [SIGN](sign: SignOptions) {
      const [key] = await keys.forSigning(sign)
      const headers = { 'content-type': 'application/json', ...sign.headers }
      return { headers: { ...headers, authorization: `Basic ${encodeBase64(key!)}` }, body: sign.body }
    },
  }
}
