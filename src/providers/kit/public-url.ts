/**
 * The public URL a sender signed (Twilio, Square): from the `publicUrl`
 * option or the request's own absolute URL.
 *
 * @module
 */
import { configError, HookguardError } from '../../errors.js'
import type { ProviderRequest } from '../../types/index.js'
import { readHeader } from './headers.js'

/** Where the public URL of a request comes from. */
export type PublicUrlOption = string | ((request: ProviderRequest) => string)

export const ABSOLUTE_RE = /^https?:\/\/[^/?#\s]+/i

/** Checks a `publicUrl` option at construction time. */
export function checkPublicUrlOption(provider: string, value: unknown): PublicUrlOption | undefined {
  if (value === undefined || typeof value === 'function') return value as PublicUrlOption | undefined
  if (typeof value !== 'string' || !ABSOLUTE_RE.test(value)) {
    throw configError(`${provider}: publicUrl must be an absolute http(s) URL or a function returning one`)
  }
  return value
}

/**
 * The request's own absolute URL, when a scheme signs it. The adapter built
 * it from the Host header, and with Host sent twice each framework picks a
 * copy of its own (Node's first, a proxy perhaps the last), so a repeated
 * Host is refused (400 header.duplicated) instead of signing one of them.
 */
export function ownUrl(request: Pick<ProviderRequest, 'url' | 'headers'>): string | undefined {
  readHeader(request, 'host')
  return request.url
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
  if (typeof option === 'string') url = option.includes('?') ? option : option + queryOf(request.url)
  // Outside the try below: a repeated Host is the client's 400, not a misconfiguration.
  else if (option === undefined) url = ownUrl(request)
  else {
    try {
      url = option(request)
    } catch (error) {
      throw new HookguardError('receiver.misconfigured', {
        reason: `${provider}: the publicUrl function threw`,
        cause: error,
      })
    }
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
