/**
 * Reading request headers the way every provider must: one value per name,
 * required signature headers, the two spellings some senders use.
 *
 * @module
 */
import { decodeHex } from '../../crypto.js'
import { HookguardError } from '../../errors.js'
import type { ProviderRequest } from '../../types/index.js'

type HeaderSource = Pick<ProviderRequest, 'headers'>

/**
 * One header as a single string. A header that arrived several times as an
 * array is refused rather than guessed at.
 */
export function readHeader(request: HeaderSource, name: string): string | undefined {
  const value = request.headers[name]
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  if (value.length === 1) return value[0]
  if (value.length === 0) return undefined
  throw new HookguardError('header.duplicated', { reason: `header ${name} appears ${value.length} times` })
}

/** A header sent under either of two names (`webhook-id` / `svix-id`); both present must agree. */
export function eitherHeader(request: HeaderSource, first: string, second: string): string | undefined {
  const a = readHeader(request, first)
  const b = readHeader(request, second)
  if (a !== undefined && b !== undefined && a !== b)
    throw new HookguardError('header.conflict', { reason: `${first} and ${second} differ` })
  return a ?? b
}

/** A required signature header: absent or blank means 401 signature.missing. */
export function requireSignatureHeader(request: HeaderSource, name: string): string {
  const value = readHeader(request, name)
  if (value === undefined || value.trim() === '')
    throw new HookguardError('signature.missing', { reason: `header ${name} is missing` })
  return value
}

/** Whether the body is `application/x-www-form-urlencoded`. */
export function isForm(request: HeaderSource): boolean {
  const type = readHeader(request, 'content-type')
  return type !== undefined && type.toLowerCase().startsWith('application/x-www-form-urlencoded')
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
