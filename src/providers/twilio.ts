/**
 * Twilio: `X-Twilio-Signature`, base64 HMAC-SHA1 keyed by the account's Auth
 * Token over the full URL Twilio requested followed by every form parameter,
 * sorted by name, as `name + value` (no separators).
 *
 * - JSON bodies are signed through the URL instead: Twilio appends
 *   `bodySHA256=<hex SHA-256 of the body>` to the query string and signs the
 *   URL alone; both the signature and the body hash are checked.
 * - The URL must be the one Twilio used. Behind a proxy or load balancer the
 *   request's own URL (`http://internal:3000/…`) is not it: pass `publicUrl`.
 *   Twilio may or may not include the default port (`:443`) in what it
 *   signs, so the URL is tried as given, without the port and with it.
 * - Before the MAC, the form is split and sorted (that is what Twilio signs),
 *   with at most 1000 parameters: more is a 400 after one scan for `&`.
 * - No timestamp is signed: the dedupe store is the only replay protection.
 * - Id: the `I-Twilio-Idempotency-Token` header when present (Twilio keeps it
 *   across retries), else `sha256:` + the hex SHA-256 of the raw body. Neither
 *   is signed (the MAC covers the decoded, sorted parameters, not the bytes),
 *   so the verified MAC is the fingerprint: a captured delivery resent with a
 *   fresh token, or with its parameters reordered, is still a duplicate.
 *   Sids are not used: status callbacks of one message all carry the same
 *   `MessageSid`, and deduping by it would drop every status after the first.
 *
 * @module
 */
import { constantTimeEqual, decodeBase64, decodeHex, encodeBase64, encodeHex, type HmacAlgorithm } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { bodyFormPairs, formPairs, parseForm, parseJson } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { isForm, readHeader, requireSignatureHeader } from './kit/headers.js'
import { hmacMatch, settle, type HmacScheme } from './kit/hmac.js'
import {
  ABSOLUTE_RE,
  checkPublicUrlOption,
  resolvePublicUrl,
  urlVariants,
  type PublicUrlOption,
} from './kit/public-url.js'
import { openProvider, type UntimedProviderOptions } from './kit/setup.js'
import { signBodyText } from './kit/sign.js'

export type { PublicUrlOption } from './kit/public-url.js'

export interface TwilioOptions extends UntimedProviderOptions {
  /**
   * The URL Twilio requested, exactly as configured in the Console (scheme,
   * host, path and query). A string is the fixed webhook URL; a function
   * builds it per request (for one handler serving several paths). A string
   * without a query string gets the request's query string appended, so
   * Twilio's per-request `bodySHA256` parameter survives.
   * @default the request's `url` when it is absolute (`https://…`); a relative `url` is refused with a 500 that names this option
   */
  publicUrl?: PublicUrlOption
  /**
   * 'sha1' for Auth Token signatures (the default Twilio scheme), 'sha256' for
   * webhooks signed with a SharedKey, whose
   * `X-Twilio-Webhooks-Signature-Settings` header then names HMAC_SHA256.
   * Chosen here, never by the request.
   * @default 'sha1'
   */
  algorithm?: 'sha1' | 'sha256'
}

/** Form parameters as Twilio signs them: names sorted, each distinct value of a name sorted, `name + value`. */
function signedParams(pairs: ReadonlyArray<readonly [string, string]>): string {
  const byName = new Map<string, Set<string>>()
  for (const [name, value] of pairs) {
    const values = byName.get(name)
    if (values) values.add(value)
    else byName.set(name, new Set([value]))
  }
  let out = ''
  for (const name of [...byName.keys()].sort()) for (const value of [...byName.get(name)!].sort()) out += name + value
  return out
}

const SETTINGS_ALGORITHMS: Record<string, HmacAlgorithm> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' }

function bodyHashParam(url: string): string | undefined {
  const query = url.indexOf('?')
  if (query === -1) return undefined
  const all = new URLSearchParams(url.slice(query + 1).split('#')[0]).getAll('bodySHA256')
  if (all.length > 1)
    throw new HookguardError('header.malformed', { reason: 'url has more than one bodySHA256 parameter' })
  return all[0]
}

/** The decoded signature; a settings header naming another algorithm than the configured one is refused. */
function readSignature(request: ProviderRequest, algorithm: 'sha1' | 'sha256'): Uint8Array {
  const header = requireSignatureHeader(request, 'x-twilio-signature')
  const settings = readHeader(request, 'x-twilio-webhooks-signature-settings', { joinable: true })
  const named = settings && /(?:^|,)\s*algorithm\s*=\s*([A-Z0-9_]+)\s*(?:,|$)/i.exec(settings)?.[1]
  if (named && SETTINGS_ALGORITHMS[named.toUpperCase()] !== algorithm)
    throw invalidSignature(`sender used ${named}, this provider is configured for ${algorithm}`)
  const signature = decodeBase64(header)
  if (!signature || signature.length !== (algorithm === 'sha1' ? 20 : 32))
    throw malformedSignature('x-twilio-signature is not a base64 MAC of the configured algorithm')
  return signature
}

/** What is signed besides the URL: the sorted form parameters, or nothing when the URL carries bodySHA256. */
async function signedRest(scheme: HmacScheme, request: ProviderRequest, url: string): Promise<string> {
  const hashParam = bodyHashParam(url)
  if (hashParam !== undefined) {
    const expected = decodeHex(hashParam)
    if (!expected || expected.length !== 32) throw malformedSignature('bodySHA256 is not 64 lower-case hex digits')
    // The body hash is computed from public data, so checking it before the MAC leaks nothing.
    if (!constantTimeEqual(await scheme.backend.digest('sha256', request.body), expected))
      throw invalidSignature('body does not match bodySHA256')
    return ''
  }
  if (request.body.length === 0) return ''
  // Without bodySHA256 only form parameters are covered by the signature.
  if (!isForm(request))
    throw invalidSignature('body is not form-encoded and the URL has no bodySHA256, so it is not signed')
  return signedParams(bodyFormPairs(request.body))
}

/**
 * Twilio webhooks (Messaging, Voice, status callbacks, …).
 *
 * @example
 * ```ts
 * const provider = twilio({
 *   secret: process.env.TWILIO_AUTH_TOKEN!,
 *   publicUrl: 'https://example.com/webhooks/twilio/sms',
 * })
 * ```
 */
export function twilio(options: TwilioOptions): Provider {
  const name = 'twilio'
  const algorithm = options?.algorithm ?? 'sha1'
  if (algorithm !== 'sha1' && algorithm !== 'sha256')
    throw configError(`twilio: algorithm must be 'sha1' or 'sha256' (got ${String(algorithm)})`)
  // Auth Tokens are 32 hex characters; SharedKey secrets are at least 16 bytes.
  const opened = openProvider(name, options, {
    untimed: 'Twilio',
    secret: { minBytes: algorithm === 'sha1' ? 32 : 16 },
  })
  const publicUrl = checkPublicUrlOption(name, options.publicUrl)
  const scheme: HmacScheme = { backend: opened.backend, algorithm, fingerprint: true }

  async function verify(request: ProviderRequest): Promise<Verification> {
    const received = [readSignature(request, algorithm)]
    const url = resolvePublicUrl(name, publicUrl, request)
    const rest = await signedRest(scheme, request, url)
    const keys = await opened.keys.forRequest(request)
    for (const candidate of urlVariants(url)) {
      const match = await hmacMatch(scheme, keys, [candidate, rest], received)
      if (match === -1) continue
      const token = readHeader(request, 'i-twilio-idempotency-token')
      return settle(scheme, match, received, token ? { id: token } : {})
    }
    throw invalidSignature()
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-twilio-signature'],
    verify,
    parse(request) {
      if (request.body.length === 0) return {}
      return isForm(request) ? parseForm(request.body) : parseJson(request.body)
    },
    async describe(_payload, request, verification) {
      return { id: verification.id ?? `sha256:${encodeHex(await opened.backend.digest('sha256', request.body))}` }
    },
    [SIGN]: signer(opened.backend, opened.keys, algorithm, publicUrl),
  }
}

function signer(
  backend: HmacScheme['backend'],
  keys: ReturnType<typeof openProvider>['keys'],
  algorithm: 'sha1' | 'sha256',
  publicUrl: PublicUrlOption | undefined,
) {
  return async function signTwilio(sign: SignOptions) {
    // A fixed publicUrl is what verify() will use, so it is what gets signed.
    let url = typeof publicUrl === 'string' ? publicUrl : sign.url
    if (url === undefined || !ABSOLUTE_RE.test(url))
      throw configError('twilio: signRequest needs an absolute url (or a string publicUrl)')
    const text = signBodyText(sign)
    const json = /^\s*[[{]/.test(text)
    let params = ''
    if (json) {
      const bytes = typeof sign.body === 'string' ? new TextEncoder().encode(sign.body) : sign.body
      const hash = encodeHex(await backend.digest('sha256', bytes))
      url += `${url.includes('?') ? '&' : '?'}bodySHA256=${hash}`
    } else params = signedParams(formPairs(text))
    const [key] = await keys.forSigning(sign)
    const mac = await backend.hmac(algorithm, key!, [url, params])
    const headers: Record<string, string> = {
      'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
    }
    Object.assign(headers, sign.headers)
    if (sign.id !== undefined) headers['i-twilio-idempotency-token'] = sign.id
    if (algorithm === 'sha256') headers['x-twilio-webhooks-signature-settings'] = 'algorithm=HMAC_SHA256'
    headers['x-twilio-signature'] = encodeBase64(mac)
    return { headers, body: sign.body, url }
  }
}
