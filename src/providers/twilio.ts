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
 * - No timestamp is signed: the dedupe store is the only replay protection.
 * - Id: the `I-Twilio-Idempotency-Token` header when present (Twilio keeps it
 *   across retries), else `sha256:` + the hex SHA-256 of the raw body. Sids are
 *   not used: status callbacks of one message all carry the same
 *   `MessageSid`, and deduping by it would drop every status after the first.
 *
 * @module
 */
import { constantTimeEqual, decodeBase64, decodeHex, encodeBase64, encodeHex, type HmacAlgorithm } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  invalidSignature,
  matchHmac,
  parseForm,
  parseJson,
  readHeader,
  requireSignatureHeader,
  resolveBackend,
  resolveSecrets,
  type ProviderOptions,
} from './shared.js'

/** Where the public URL of a request comes from. */
export type PublicUrlOption = string | ((request: ProviderRequest) => string)

export interface TwilioOptions extends Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'> {
  /**
   * The URL Twilio requested, exactly as configured in the Console (scheme,
   * host, path and query). A string is the fixed webhook URL; a function
   * builds it per request (for one handler serving several paths). A string
   * without a query string gets the request's query string appended, so
   * Twilio's per-request `bodySHA256` parameter survives. Default:
   * the request's `url` when it is absolute (`https://…`); a relative `url`
   * without this option is refused with a 500 that names the fix.
   */
  publicUrl?: PublicUrlOption
  /**
   * 'sha1' for Auth Token signatures (the default Twilio scheme), 'sha256' for
   * webhooks signed with a SharedKey, whose
   * `X-Twilio-Webhooks-Signature-Settings` header then names HMAC_SHA256.
   * Chosen here, never by the request. Default 'sha1'.
   */
  algorithm?: 'sha1' | 'sha256'
}

const ABSOLUTE_RE = /^https?:\/\/[^/?#\s]+/i

/** Checks a `publicUrl` option at construction time. */
export function checkPublicUrlOption(provider: string, value: unknown): PublicUrlOption | undefined {
  if (value === undefined || typeof value === 'function') return value as PublicUrlOption | undefined
  if (typeof value !== 'string' || !ABSOLUTE_RE.test(value)) {
    throw configError(`${provider}: publicUrl must be an absolute http(s) URL or a function returning one`)
  }
  return value
}

/** The query string of a request URL (absolute or a path), with its `?`, or ''. */
function queryOf(url: string | undefined): string {
  if (url === undefined) return ''
  const start = url.indexOf('?')
  if (start === -1) return ''
  const end = url.indexOf('#', start)
  return end === -1 ? url.slice(start) : url.slice(start, end)
}

/**
 * The URL the sender signed: the option, else the request's absolute url. A
 * string option without a query string takes the request's query string, so
 * per-request parameters (Twilio's `bodySHA256`) are kept.
 */
export function resolvePublicUrl(
  provider: string,
  option: PublicUrlOption | undefined,
  request: ProviderRequest,
): string {
  let url: unknown
  try {
    url =
      typeof option === 'function'
        ? option(request)
        : typeof option === 'string'
          ? option.includes('?')
            ? option
            : option + queryOf(request.url)
          : request.url
  } catch (error) {
    throw new HookguardError('receiver.misconfigured', {
      reason: `${provider}: the publicUrl function threw`,
      cause: error,
    })
  }
  if (typeof url !== 'string' || !ABSOLUTE_RE.test(url)) {
    throw new HookguardError('receiver.misconfigured', {
      reason: `${provider} signs the public URL, but the request URL is not absolute; pass publicUrl to ${provider}() (the URL configured at ${provider})`,
    })
  }
  return url
}

/** The URL as given, without its port and with the scheme's default port. */
export function urlVariants(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url)
  if (!match) return [url]
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string]
  const at = authority.lastIndexOf('@') + 1
  const hostPort = authority.slice(at)
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1)
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon)
  const base = scheme + authority.slice(0, at) + host
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80'
  const variants = new Set([url, base + rest])
  if (colon === -1) variants.add(base + defaultPort + rest)
  return [...variants]
}

/** Form parameters as Twilio signs them: names sorted, each value appended after its name. */
function signedParams(form: Record<string, string | string[]>): string {
  let out = ''
  for (const name of Object.keys(form).sort()) {
    const value = form[name]!
    // Repeated names: each distinct value, sorted (what Twilio's libraries compute).
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value]
    for (const item of values) out += name + item
  }
  return out
}

function isForm(request: ProviderRequest): boolean {
  const type = readHeader(request, 'content-type')
  return type !== undefined && type.toLowerCase().startsWith('application/x-www-form-urlencoded')
}

const SETTINGS_ALGORITHMS: Record<string, HmacAlgorithm> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' }

function bodyHashParam(url: string): string | undefined | null {
  const query = url.indexOf('?')
  if (query === -1) return undefined
  const params = new URLSearchParams(url.slice(query + 1).split('#')[0])
  const all = params.getAll('bodySHA256')
  if (all.length === 0) return undefined
  return all.length === 1 ? all[0]! : null
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
  const raw = options as ProviderOptions & TwilioOptions
  if (raw?.tolerance !== undefined || raw?.skipTimestampCheck !== undefined) {
    throw configError(
      'twilio: Twilio signs no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store',
    )
  }
  const algorithm = options?.algorithm ?? 'sha1'
  if (algorithm !== 'sha1' && algorithm !== 'sha256')
    throw configError(`twilio: algorithm must be 'sha1' or 'sha256' (got ${String(algorithm)})`)
  // Auth Tokens are 32 hex characters; SharedKey secrets are at least 16 bytes.
  const keys = resolveSecrets(name, options?.secret, { minBytes: algorithm === 'sha1' ? 32 : 16 })
  const publicUrl = checkPublicUrlOption(name, options.publicUrl)
  const backend = resolveBackend(options.crypto)
  const macLength = algorithm === 'sha1' ? 20 : 32

  async function bodyHash(body: Uint8Array | string): Promise<string> {
    return encodeHex(await backend.digest('sha256', typeof body === 'string' ? new TextEncoder().encode(body) : body))
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-twilio-signature'],
    async verify(request) {
      const header = requireSignatureHeader(request, 'x-twilio-signature')
      const settings = readHeader(request, 'x-twilio-webhooks-signature-settings')
      if (settings !== undefined) {
        const named = /(?:^|,)\s*algorithm\s*=\s*([A-Z0-9_]+)\s*(?:,|$)/i.exec(settings)?.[1]
        if (named !== undefined && SETTINGS_ALGORITHMS[named.toUpperCase()] !== algorithm) {
          throw invalidSignature(`sender used ${named}, this provider is configured for ${algorithm}`)
        }
      }
      const signature = decodeBase64(header)
      if (!signature || signature.length !== macLength)
        throw new HookguardError('signature.malformed', {
          reason: 'x-twilio-signature is not a base64 MAC of the configured algorithm',
        })
      const url = resolvePublicUrl(name, publicUrl, request)
      const hashParam = bodyHashParam(url)
      if (hashParam === null)
        throw new HookguardError('header.malformed', { reason: 'url has more than one bodySHA256 parameter' })
      let params = ''
      if (hashParam !== undefined) {
        const expected = decodeHex(hashParam)
        if (!expected || expected.length !== 32)
          throw new HookguardError('signature.malformed', { reason: 'bodySHA256 is not 64 hex digits' })
        const actual = await backend.digest('sha256', request.body)
        // The body hash is computed from public data, so checking it before the MAC leaks nothing.
        if (!constantTimeEqual(actual, expected)) throw invalidSignature('body does not match bodySHA256')
      } else if (request.body.length > 0) {
        // Without bodySHA256 only form parameters are covered by the signature.
        if (!isForm(request))
          throw invalidSignature('body is not form-encoded and the URL has no bodySHA256, so it is not signed')
        params = signedParams(parseForm(request.body))
      }
      for (const candidate of urlVariants(url)) {
        if (await matchHmac(backend, algorithm, keys, [candidate, params], [signature])) {
          const token = readHeader(request, 'i-twilio-idempotency-token')
          return token ? { id: token } : {}
        }
      }
      throw invalidSignature()
    },
    parse(request) {
      if (request.body.length === 0) return {}
      return isForm(request) ? parseForm(request.body) : parseJson(request.body)
    },
    async describe(_payload, request, verification) {
      return { id: verification.id ?? `sha256:${await bodyHash(request.body)}` }
    },
    async [SIGN](sign: SignOptions) {
      // A fixed publicUrl is what verify() will use, so it is what gets signed.
      let url = typeof publicUrl === 'string' ? publicUrl : sign.url
      if (url === undefined || !ABSOLUTE_RE.test(url))
        throw configError('twilio: signRequest needs an absolute url (or a string publicUrl)')
      const text = typeof sign.body === 'string' ? sign.body : new TextDecoder().decode(sign.body)
      const trimmed = text.trimStart()
      const json = trimmed.startsWith('{') || trimmed.startsWith('[')
      let params = ''
      if (json) {
        url += `${url.includes('?') ? '&' : '?'}bodySHA256=${await bodyHash(sign.body)}`
      } else {
        params = signedParams(parseForm(new TextEncoder().encode(text)))
      }
      const mac = await backend.hmac(algorithm, keys[0]!, [url, params])
      return {
        headers: {
          'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
          ...sign.headers,
          ...(sign.id !== undefined ? { 'i-twilio-idempotency-token': sign.id } : {}),
          ...(algorithm === 'sha256' ? { 'x-twilio-webhooks-signature-settings': 'algorithm=HMAC_SHA256' } : {}),
          'x-twilio-signature': encodeBase64(mac),
        },
        body: sign.body,
        url,
      }
    },
  }
}
