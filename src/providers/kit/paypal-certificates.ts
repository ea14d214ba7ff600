/**
 * PayPal's signing certificates: which URLs may name one, how it is fetched
 * (once per URL, cached, bounded, concurrent requests share one fetch), and
 * the chain check against the trusted roots.
 *
 * @module
 */
import { configError, HookguardError } from '../../errors.js'
import { invalidSignature } from './fail.js'
import {
  checkChain,
  readRoots,
  type CertificateReader,
  type CertificateView,
  type VerifiedCertificate,
} from './x509/chain.js'

export type { VerifiedCertificate } from './x509/chain.js'

export const HOSTS = {
  live: ['api.paypal.com', 'api-m.paypal.com'],
  sandbox: ['api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'],
} as const
export const SUBJECTS = {
  live: 'messageverificationcerts.paypal.com',
  sandbox: 'messageverificationcerts.sandbox.paypal.com',
} as const
const CERT_PATH_RE = /^\/v1\/notifications\/certs\/[A-Za-z0-9._-]{1,128}$/
const MAX_CERT_BYTES = 64 * 1024
const MAX_CHAIN = 5

/**
 * The canonical URL when `text` is an allowed PayPal certificate URL, else
 * undefined. Only exactly-spelled `https://<host>/v1/notifications/certs/<name>`
 * passes: no port, user info, query, fragment, escapes or trailing dot.
 */
export function allowedCertificateUrl(text: string, hosts: readonly string[]): string | undefined {
  if (text.length > 512 || !/^https:\/\/[\x21-\x7e]+$/.test(text)) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  if (url.href !== text) return undefined // any normalisation means an unusual spelling
  if (url.protocol !== 'https:' || url.username || url.password || url.port || url.search || url.hash) return undefined
  if (!hosts.includes(url.hostname) || !CERT_PATH_RE.test(url.pathname)) return undefined
  return url.href
}

export async function defaultFetchCertificate(url: string): Promise<string | undefined> {
  const response = await fetch(url, {
    redirect: 'error',
    signal: AbortSignal.timeout(10_000),
    headers: { accept: 'application/x-pem-file, text/plain' },
  })
  // A 4xx is PayPal's definite "no such certificate"; anything else may pass.
  if (response.status >= 400 && response.status < 500) return undefined
  if (!response.ok) throw new Error(`certificate fetch answered ${response.status}`)
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > MAX_CERT_BYTES) throw new Error('certificate too large')
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (bytes.length > MAX_CERT_BYTES) throw new Error('certificate too large')
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

function runtimeRootPems(): readonly string[] | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return (proc?.getBuiltinModule?.('node:tls') as typeof import('node:tls') | undefined)?.rootCertificates
  } catch {
    return undefined
  }
}

/** The roots a chain must end at: the option's PEMs, none (`false`), or the runtime's store, read once on first use. */
export function trustedRoots(option: unknown, reader: CertificateReader): () => CertificateView[] | undefined {
  if (option === false) return () => undefined
  if (option !== undefined) {
    if (!Array.isArray(option) || option.some((pem) => typeof pem !== 'string'))
      throw configError('paypal: trustedRoots must be an array of PEM strings, or false')
    const roots = readRoots(reader, option as string[])
    if (roots.length === 0) throw configError('paypal: trustedRoots holds no readable PEM certificate')
    return () => roots
  }
  const pems = runtimeRootPems()
  if (!pems)
    throw configError(
      'paypal: this runtime has no node:tls root store; pass trustedRoots (PEM roots) or trustedRoots: false',
    )
  let roots: CertificateView[] | undefined
  // Reading ~150 roots takes a while: done once per provider, on the first certificate check.
  return () => (roots ??= readRoots(reader, pems))
}

export interface CertificateSource {
  fetchCertificate: (url: string) => Promise<string | undefined>
  cacheSize: number
  commonName: string
  roots: () => CertificateView[] | undefined
  reader: CertificateReader
}

/** Fetches and checks the chain at `url`; a 4xx or a bad chain is a 401, an unreachable PayPal a 503. */
async function loadCertificate(source: CertificateSource, url: string) {
  let pem: string | undefined
  try {
    pem = await source.fetchCertificate(url)
    if (pem !== undefined && pem !== null && typeof pem !== 'string')
      throw new TypeError('fetchCertificate must resolve to PEM text or undefined')
  } catch (error) {
    throw new HookguardError('certificate.unavailable', {
      reason: 'could not fetch the PayPal certificate',
      cause: error,
    })
  }
  if (pem === undefined || pem === null) throw invalidSignature('PayPal has no certificate at that URL')
  if (pem.length > MAX_CERT_BYTES) throw invalidSignature('certificate too large')
  let certs: CertificateView[]
  try {
    certs = source.reader.chain(pem, MAX_CHAIN)
  } catch {
    throw invalidSignature('certificate is not a readable PEM chain')
  }
  const checked = await checkChain(certs, source.commonName, source.roots())
  if (typeof checked === 'string') throw invalidSignature(checked)
  return checked
}

/** The verified certificate at a URL; least recently used URLs are forgotten first. */
export function certificateCache(source: CertificateSource): (url: string) => Promise<VerifiedCertificate> {
  // Promise per URL: concurrent requests share one fetch; Map order gives least-recently-used eviction.
  const cache = new Map<string, Promise<VerifiedCertificate>>()
  return function certificateFor(url) {
    const cached = cache.get(url)
    if (cached) {
      cache.delete(url)
      cache.set(url, cached)
      return cached
    }
    const pending = loadCertificate(source, url)
    // A fetch failure or a missing certificate is not cached: the next delivery tries again.
    pending.catch((error: unknown) => {
      const code = (error as HookguardError).code
      if (
        code === 'certificate.unavailable' ||
        (error as HookguardError).reason === 'PayPal has no certificate at that URL'
      )
        if (cache.get(url) === pending) cache.delete(url)
    })
    cache.set(url, pending)
    while (cache.size > source.cacheSize) cache.delete(cache.keys().next().value!)
    return pending
  }
}
