/**
 * Reading request headers the way every provider must: one value per name,
 * required signature headers, the two spellings some senders use.
 *
 * A header sent twice reaches a provider in one of two shapes. Node adapters
 * read the raw header list, so it arrives as an array. A Fetch `Headers`
 * object (the Fetch adapter, Hono outside Node, Workers, Deno, Bun) has
 * already joined the copies into one value with ', '. Every reader here
 * refuses both as 400 `header.duplicated`: the array always, and a value
 * containing ', ' unless the header's grammar can hold one (`joinable`).
 *
 * @module
 */
import { decodeHex } from '../../crypto.js'
import { HookguardError } from '../../errors.js'
import type { ProviderRequest } from '../../types/index.js'

type HeaderSource = Pick<ProviderRequest, 'headers'>

/** How one header is read. */
export interface ReadHeaderOptions {
  /**
   * The header's grammar allows ', ' inside one value (a list with spaces,
   * free text such as a user-typed token). Only then is such a value taken
   * as sent: a Fetch `Headers` object joins repeated copies with ', ', so
   * for every other header a value containing it is a repeat in disguise.
   * @default false
   */
  joinable?: boolean
}

/**
 * One header as a single string. A header that arrived several times is
 * refused rather than guessed at: as an array (Node adapters), or joined
 * into one value with ', ' by a Fetch `Headers` object when its grammar
 * cannot contain ', ' (see {@link ReadHeaderOptions.joinable}).
 */
export function readHeader(request: HeaderSource, name: string, options?: ReadHeaderOptions): string | undefined {
  let value = request.headers[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    if (value.length === 0) return undefined
    if (value.length > 1)
      throw new HookguardError('header.duplicated', { reason: `header ${name} appears ${value.length} times` })
    value = value[0]!
  }
  // One indexOf on a short string: cheap enough for every read.
  if (value.includes(', ') && options?.joinable !== true)
    throw new HookguardError('header.duplicated', {
      reason: `header ${name} contains ', ', which its grammar cannot: copies joined by a Fetch Headers object`,
    })
  return value
}

/** A header sent under either of two names (`webhook-id` / `svix-id`); both present must agree. */
export function eitherHeader(
  request: HeaderSource,
  first: string,
  second: string,
  options?: ReadHeaderOptions,
): string | undefined {
  const a = readHeader(request, first, options)
  const b = readHeader(request, second, options)
  if (a !== undefined && b !== undefined && a !== b)
    throw new HookguardError('header.conflict', { reason: `${first} and ${second} differ` })
  return a ?? b
}

/** A required signature header: absent or blank means 401 signature.missing. */
export function requireSignatureHeader(request: HeaderSource, name: string, options?: ReadHeaderOptions): string {
  const value = readHeader(request, name, options)
  if (value === undefined || value.trim() === '')
    throw new HookguardError('signature.missing', { reason: `header ${name} is missing` })
  return value
}

/**
 * Whether a token compared as-is with the configured secret (GitLab's
 * X-Gitlab-Token, Okta's Authorization) can hold ', ': when a secret does,
 * or when secrets are looked up per request and cannot be known here.
 */
export function tokenMayHoldCommaSpace(secret: unknown): boolean {
  if (typeof secret === 'string') return secret.includes(', ')
  if (Array.isArray(secret)) return secret.some((s) => typeof s === 'string' && s.includes(', '))
  return typeof secret === 'function'
}

/** Whether the body is `application/x-www-form-urlencoded`. */
export function isForm(request: HeaderSource): boolean {
  const type = readHeader(request, 'content-type')
  // The usual JSON type skips the lower-casing.
  if (type === undefined || type === 'application/json') return false
  return type.toLowerCase().startsWith('application/x-www-form-urlencoded')
}

/** A required id header: absent or empty is a 400 id.missing. */
export function requireIdHeader(request: HeaderSource, name: string): string {
  const id = readHeader(request, name)
  if (id === undefined || id === '') throw new HookguardError('id.missing', { reason: `${name} is missing` })
  return id
}

/**
 * A `<prefix><hex>` signature header (`sha256=…`, `v0=…`), strictly decoded
 * (lower-case hex, as every such sender emits). A missing header is a 401;
 * a wrong prefix, other characters or (when `bytes` is given) the wrong
 * length is a 400.
 */
export function readPrefixedHexSignature(
  request: HeaderSource,
  header: string,
  prefix: string,
  bytes?: number,
): Uint8Array {
  const value = requireSignatureHeader(request, header)
  if (!value.startsWith(prefix))
    throw new HookguardError('signature.malformed', { reason: `${header} does not start with ${prefix}` })
  const signature = decodeHex(value.slice(prefix.length))
  if (!signature || (bytes !== undefined && signature.length !== bytes)) {
    const expected = bytes === undefined ? 'lower-case hex' : `${bytes * 2} lower-case hex digits`
    throw new HookguardError('signature.malformed', { reason: `${header} is not ${expected}` })
  }
  return signature
}
