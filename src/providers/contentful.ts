/**
 * Contentful request verification (webhooks of a space with a signing secret,
 * and app events): `x-contentful-signature`, hex HMAC-SHA256 keyed by the
 * 64-character signing secret (as text) over a canonical request, the scheme
 * `@contentful/node-apps-toolkit`'s `verifyRequest` checks:
 *
 * ```
 * METHOD \n canonical path \n name:value;name:value… \n raw body
 * ```
 *
 * - Signed headers: the ones `x-contentful-signed-headers` names, plus that
 *   header and `x-contentful-timestamp` always, lower-case, sorted, values
 *   trimmed; the signed-headers value is the sorted list itself. A named
 *   header missing from the request is a 401, a repeated name a 400.
 * - Path: the request's path and query, canonicalised as the toolkit does
 *   (the query percent-encoded as a whole, then `encodeURI`). Behind a proxy
 *   that rewrites paths, pass `path` (the webhook URL's path).
 * - `x-contentful-timestamp` is in milliseconds and signed; `tolerance`
 *   defaults to 30 s (the toolkit's TTL), checked both ways.
 * - Id: `X-Contentful-Idempotency-Key` (signed only when the signed-headers
 *   list names it), else `sha256:` + the hex SHA-256 of the body. No
 *   fingerprint: a retry is signed anew (new timestamp, new MAC), so a
 *   captured delivery resent under a fresh key passes only inside the
 *   tolerance. Type: `X-Contentful-Topic` (`ContentManagement.Entry.publish` …).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { readHeader, readPrefixedHexSignature, requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { checkMillis, parseMillis } from './kit/millis.js'
import { ABSOLUTE_RE } from './kit/public-url.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'

/** Where the signed path comes from: a fixed path, or a function of the request. */
export type ContentfulPathOption = string | ((request: ProviderRequest) => string)

export interface ContentfulOptions extends ProviderOptions {
  /**
   * The path (and query) Contentful requested, as in the webhook's URL, for
   * receivers behind a proxy that rewrites paths. A string is fixed; a
   * function gives it per request.
   * @default the path and query of the request's `url`
   */
  path?: ContentfulPathOption
}

const SIGNATURE = 'x-contentful-signature'
const SIGNED_HEADERS = 'x-contentful-signed-headers'
const TIMESTAMP = 'x-contentful-timestamp'
const DEFAULT_TOLERANCE = 30
const MAX_SIGNED_HEADERS = 64
const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/
const SECRET_RE = /^[0-9a-zA-Z+/=_-]{64}$/
/**
 * Signed headers whose grammar cannot hold ', ', so a value with it is a
 * repeat joined by a Fetch Headers object (400). Any other signed header
 * (a custom header of the webhook, its name) is free text: a joined value
 * is then simply not what was signed (401).
 */
const SINGLE_VALUED = new Set([
  'x-contentful-topic',
  'x-contentful-idempotency-key',
  'x-contentful-crn',
  'content-type',
])

function signedHeader(request: ProviderRequest, name: string): string | undefined {
  return readHeader(request, name, { joinable: !SINGLE_VALUED.has(name) })
}

function decodeSecret(secret: string): Uint8Array {
  if (!SECRET_RE.test(secret))
    throw new Error('must be the 64-character signing secret (letters, digits and + / = _ -) Contentful generated')
  return new TextEncoder().encode(secret)
}

/** The toolkit's canonical path: the query escaped as one component, then the whole through `encodeURI`. */
export function canonicalPath(raw: string): string {
  const relative = ABSOLUTE_RE.test(raw) ? raw.replace(ABSOLUTE_RE, '') || '/' : raw
  if (!relative.startsWith('/'))
    throw new HookguardError('header.malformed', { reason: 'request path is not absolute' })
  const [pathname, search] = relative.split('?') as [string, string | undefined]
  try {
    return encodeURI(search ? `${pathname}?${encodeURIComponent(search)}` : pathname)
  } catch {
    throw new HookguardError('header.malformed', { reason: 'request path is not well-formed Unicode' })
  }
}

function pathOf(option: ContentfulPathOption | undefined, request: ProviderRequest): string {
  let path: unknown
  try {
    path = typeof option === 'function' ? option(request) : (option ?? request.url)
  } catch (error) {
    throw new HookguardError('receiver.misconfigured', { reason: 'contentful: the path function threw', cause: error })
  }
  if (typeof path !== 'string' || path === '')
    throw new HookguardError('receiver.misconfigured', {
      reason: 'contentful signs the request path, but the request has no url; pass path to contentful()',
    })
  return canonicalPath(path)
}

/** The sorted names of the signed headers, the two Contentful always signs included. */
function signedNames(request: ProviderRequest): string[] {
  const list = requireSignatureHeader(request, SIGNED_HEADERS).split(',')
  if (list.length > MAX_SIGNED_HEADERS) throw malformedSignature(`${SIGNED_HEADERS} names too many headers`)
  const names = new Set([SIGNED_HEADERS, TIMESTAMP])
  const seen = new Set<string>()
  for (const name of list) {
    if (!HEADER_NAME_RE.test(name)) throw malformedSignature(`${SIGNED_HEADERS} is not a list of lower-case names`)
    if (seen.has(name)) throw malformedSignature(`${SIGNED_HEADERS} names a header twice`)
    seen.add(name)
    if (!names.has(name) && signedHeader(request, name) === undefined)
      throw invalidSignature(`signed header ${name} is missing`)
    names.add(name)
  }
  return [...names].sort()
}

/** `name:value;…` of the canonical request. */
function canonicalHeaders(request: ProviderRequest, names: string[], ms: number): string {
  return names
    .map((name) => {
      const value =
        name === TIMESTAMP
          ? String(ms)
          : name === SIGNED_HEADERS
            ? names.join(',')
            : signedHeader(request, name)!.trim()
      return `${name}:${value}`
    })
    .join(';')
}

/**
 * Contentful webhooks (request verification) and app events.
 *
 * @example
 * ```ts
 * const provider = contentful({ secret: process.env.CONTENTFUL_SIGNING_SECRET! })
 * ```
 */
export function contentful(options: ContentfulOptions): Provider {
  const name = 'contentful'
  const opened = openProvider(name, options, {
    tolerance: DEFAULT_TOLERANCE,
    secret: { decode: decodeSecret, minBytes: 64 },
  })
  const { tolerance, keys } = opened
  const path = checkPath(options.path)
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const received = [readPrefixedHexSignature(request, SIGNATURE, '', 32)]
      const ms = parseMillis(readHeader(request, TIMESTAMP), TIMESTAMP)
      const timestamp = checkMillis(ms, request.now, tolerance)
      const names = signedNames(request)
      const prefix = `${request.method.toUpperCase()}\n${pathOf(path, request)}\n${canonicalHeaders(request, names, ms)}\n`
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, [prefix, request.body], received, { timestamp }))
    },
    parse: (request) => parseJson(request.body),
    async describe(_payload, request) {
      const key = readHeader(request, 'x-contentful-idempotency-key')
      const id = key || (await bodyHashId(opened.backend, request.body))
      return { id, type: readHeader(request, 'x-contentful-topic') || undefined }
    },
    async [SIGN](sign: SignOptions) {
      const ms = Math.floor(sign.timestamp !== undefined ? sign.timestamp * 1000 : (sign.now ?? Date.now)())
      const [key] = await keys.forSigning(sign)
      const headers: Record<string, string> = {
        'x-contentful-topic': 'ContentManagement.Entry.publish',
        ...Object.fromEntries(Object.entries(sign.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        'x-contentful-idempotency-key': sign.id ?? encodeHex(crypto.getRandomValues(new Uint8Array(32))),
      }
      const names = [...Object.keys(headers), SIGNED_HEADERS, TIMESTAMP].sort()
      const signed: Record<string, string> = { ...headers, [SIGNED_HEADERS]: names.join(','), [TIMESTAMP]: String(ms) }
      const canonical = names.map((n) => `${n}:${signed[n]!.trim()}`).join(';')
      const target = canonicalPath(typeof path === 'string' ? path : (sign.url ?? '/'))
      const mac = await opened.backend.hmac('sha256', key!, [`POST\n${target}\n${canonical}\n`, sign.body])
      const contentType = { 'content-type': 'application/vnd.contentful.management.v1+json' }
      return { headers: { ...contentType, ...signed, [SIGNATURE]: encodeHex(mac) }, body: sign.body }
    },
  }
}

function checkPath(value: unknown): ContentfulPathOption | undefined {
  if (value === undefined || typeof value === 'function') return value as ContentfulPathOption | undefined
  if (typeof value !== 'string' || !value.startsWith('/'))
    throw configError('contentful: path must be the path of the webhook URL (starting with /), or a function')
  return value
}
