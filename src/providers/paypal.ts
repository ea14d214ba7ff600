/**
 * PayPal REST webhooks, verified offline: `PAYPAL-TRANSMISSION-SIG` is a
 * base64 RSA-SHA256 (PKCS#1 v1.5) signature over
 * `transmissionId|transmissionTime|webhookId|crc32(body)` (the CRC-32 as an
 * unsigned decimal), made with the key of the certificate that
 * `PAYPAL-CERT-URL` names.
 *
 * What is checked, in order, before any network access: every header's
 * syntax; `PAYPAL-AUTH-ALGO` is exactly `SHA256withRSA` (the algorithm is
 * never taken from the request); the transmission time is within the
 * tolerance both ways; the certificate URL is `https://` on one of PayPal's
 * certificate hosts for the configured environment, on the default port,
 * with no user info, query or fragment, under `/v1/notifications/certs/`.
 * Then the certificate is fetched (once per URL; cached, bounded, concurrent
 * requests share one fetch) and checked: the leaf names
 * `messageverificationcerts.paypal.com` (or `.sandbox.paypal.com`), every
 * certificate is inside its validity dates, each is issued and signed by the
 * next and the next is a CA, and the last one is signed by a trusted root
 * (by default the runtime's Mozilla root store). On node:crypto the
 * certificates are read and verified by node's X509Certificate. Not checked:
 * revocation (CRL/OCSP), name constraints, key usage and policy extensions.
 *
 * The body is covered only through its CRC-32, which is no cryptographic
 * hash: a captured delivery's headers can be reused, within the tolerance,
 * with another body of the same CRC (and another event id). No fingerprint
 * can close that: the signature changes with every transmission (retries
 * included), so keying on it would turn each retry into a new event. Keep
 * the tolerance short; the event id (body `id`) is the dedupe key.
 *
 * @module
 */
import { crc32, decodeBase64, encodeBase64, toArrayBuffer, type CryptoBackend } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { readHeader, requireSignatureHeader } from './kit/headers.js'
import { requireOptions, resolveBackend } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseRfc3339, resolveTolerance } from './kit/timestamp.js'
import { certificateReader } from './kit/x509/chain.js'
import {
  allowedCertificateUrl,
  certificateCache,
  defaultFetchCertificate,
  HOSTS,
  SUBJECTS,
  trustedRoots,
} from './kit/paypal-certificates.js'

export interface PayPalOptions {
  /** Required: the webhook's id from the PayPal developer dashboard (letters and digits). It is part of what PayPal signs. */
  webhookId: string
  /** Which PayPal deliveries to accept (hosts and certificate names differ). @default 'live' */
  environment?: 'live' | 'sandbox'
  /** Allowed clock skew of `PAYPAL-TRANSMISSION-TIME`, seconds, both directions. @default 300 */
  tolerance?: number
  /** Turn the transmission-time check off (unsafe). @default false */
  skipTimestampCheck?: boolean
  /**
   * Fetches the PEM text at a certificate URL that already passed the host
   * checks. Inject one to run offline (tests) or to add a proxy. Resolve to
   * `undefined` when PayPal has no such certificate (a 4xx: the delivery is
   * forged, 401); throw when it could not be reached (503, PayPal retries).
   * @default the global `fetch`, no redirects, 10 s timeout, 64 KiB limit
   */
  fetchCertificate?: (url: string) => Promise<string | undefined>
  /** How many certificate URLs to remember (least recently used go first). @default 16 */
  cacheSize?: number
  /**
   * Root certificates (PEM) the chain must end at, or `false` to skip the
   * chain check and rely on the host allowlist and TLS alone. Required on
   * runtimes without node:tls.
   * @default the runtime's root store (`tls.rootCertificates`)
   */
  trustedRoots?: readonly string[] | false
  /**
   * Test-only: lets `hookguard/testing` sign deliveries. `privateKey` is the
   * PKCS#8 PEM key of the certificate served at `certUrl`.
   * @default none
   */
  signing?: { privateKey: string; certUrl: string }
  /** Crypto implementation. @default node:crypto when present, else Web Crypto */
  crypto?: CryptoBackend
}

const AUTH_ALGO = 'SHA256withRSA'
/** Printable ASCII without `|`, which would make the signed string ambiguous. */
const TRANSMISSION_ID_RE = /^[\x21-\x7b\x7d\x7e]{1,128}$/

/** The four PayPal headers, checked for syntax and freshness before any network access. */
function readTransmission(request: ProviderRequest, tolerance: number | undefined) {
  const signatureText = requireSignatureHeader(request, 'paypal-transmission-sig')
  const transmissionId = readHeader(request, 'paypal-transmission-id')
  const transmissionTime = readHeader(request, 'paypal-transmission-time')
  const certUrl = readHeader(request, 'paypal-cert-url')
  const authAlgo = readHeader(request, 'paypal-auth-algo')
  if (transmissionId === undefined || transmissionTime === undefined || certUrl === undefined || authAlgo === undefined)
    throw new HookguardError('signature.missing', {
      reason: 'a PAYPAL-TRANSMISSION-ID/-TIME, PAYPAL-CERT-URL or PAYPAL-AUTH-ALGO header is missing',
    })
  if (authAlgo !== AUTH_ALGO) throw invalidSignature('PAYPAL-AUTH-ALGO is not SHA256withRSA')
  if (!TRANSMISSION_ID_RE.test(transmissionId))
    throw new HookguardError('header.malformed', { reason: 'PAYPAL-TRANSMISSION-ID is malformed' })
  const timestamp = parseRfc3339(transmissionTime)
  if (timestamp === undefined)
    throw new HookguardError('timestamp.malformed', { reason: 'PAYPAL-TRANSMISSION-TIME is not an RFC 3339 date-time' })
  checkTimestamp(timestamp, request.now, tolerance)
  const signature = decodeBase64(signatureText)
  if (!signature || signature.length < 256 || signature.length > 1024)
    throw malformedSignature('PAYPAL-TRANSMISSION-SIG is not base64 of an RSA signature')
  return { transmissionId, transmissionTime, certUrl, timestamp, signature }
}

function checkOptions(options: PayPalOptions) {
  requireOptions('paypal', options, '{ webhookId } — the webhook id from the PayPal developer dashboard')
  if (typeof options.webhookId !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(options.webhookId))
    throw configError(
      'paypal: webhookId must be the webhook id from the PayPal developer dashboard (letters and digits, e.g. 8PT597110X687430LKGECATA)',
    )
  const environment = options.environment ?? 'live'
  if (environment !== 'live' && environment !== 'sandbox')
    throw configError(`paypal: environment must be 'live' or 'sandbox'`)
  const fetchCertificate = options.fetchCertificate ?? defaultFetchCertificate
  if (typeof fetchCertificate !== 'function')
    throw configError('paypal: fetchCertificate must be a function (url) => Promise<string>')
  const cacheSize = options.cacheSize ?? 16
  if (!Number.isInteger(cacheSize) || cacheSize < 1 || cacheSize > 1024)
    throw configError('paypal: cacheSize must be an integer from 1 to 1024')
  const signing = options.signing
  if (signing !== undefined) {
    if (typeof signing?.privateKey !== 'string' || !signing.privateKey.includes('-----BEGIN PRIVATE KEY-----'))
      throw configError('paypal: signing.privateKey must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)')
    if (typeof signing.certUrl !== 'string' || !allowedCertificateUrl(signing.certUrl, HOSTS[environment]))
      throw configError(
        `paypal: signing.certUrl must be https://${HOSTS[environment][0]}/v1/notifications/certs/<name>`,
      )
  }
  return { webhookId: options.webhookId, environment, fetchCertificate, cacheSize, signing }
}

/**
 * PayPal webhooks (REST API notifications), verified offline against PayPal's
 * signing certificate. Event id and type come from the body (`id`,
 * `event_type`): PayPal keeps the event id across retries, while the
 * transmission id changes with every attempt.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: paypal({ webhookId: process.env.PAYPAL_WEBHOOK_ID! }) })
 * ```
 */
export function paypal(options: PayPalOptions): Provider {
  const name = 'paypal'
  const { webhookId, environment, fetchCertificate, cacheSize, signing } = checkOptions(options)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const verifyPublicKey = backend.verifyPublicKey?.bind(backend)
  if (!verifyPublicKey)
    throw configError(
      'paypal: the crypto backend has no verifyPublicKey (RSA); use nodeCryptoBackend() or webCryptoBackend()',
    )
  const reader = certificateReader(backend)
  const roots = trustedRoots(options.trustedRoots, reader)
  const commonName = SUBJECTS[environment]
  const certificateFor = certificateCache({ fetchCertificate, cacheSize, commonName, roots, reader })

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['paypal-transmission-sig'],
    async verify(request: ProviderRequest) {
      const { transmissionId, transmissionTime, certUrl, timestamp, signature } = readTransmission(request, tolerance)
      const url = allowedCertificateUrl(certUrl, HOSTS[environment])
      if (!url) throw invalidSignature(`PAYPAL-CERT-URL is not a ${environment} PayPal certificate URL`)
      const certificate = await certificateFor(url)
      const nowSeconds = request.now / 1000
      if (nowSeconds < certificate.notBefore || nowSeconds > certificate.notAfter)
        throw invalidSignature('certificate is outside its validity period')
      const message = new TextEncoder().encode(
        `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(request.body)}`,
      )
      if (!(await verifyPublicKey('rsa-pkcs1-sha256', certificate.spki, message, signature))) throw invalidSignature()
      return { timestamp: Math.floor(timestamp) }
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'event_type') }
    },
  }
  if (signing) Object.defineProperty(provider, SIGN, { value: signer(webhookId, signing) })
  return provider
}

function signer(webhookId: string, signing: { privateKey: string; certUrl: string }) {
  let key: Promise<CryptoKey> | undefined
  return async function signPayPal(sign: SignOptions) {
    const subtle = globalThis.crypto?.subtle
    if (!subtle) throw configError('paypal: signing needs Web Crypto (globalThis.crypto.subtle)')
    const der = decodeBase64(signing.privateKey.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''))
    if (!der) throw configError('paypal: signing.privateKey is not valid PEM')
    const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    key ??= subtle.importKey('pkcs8', toArrayBuffer(der), params, false, ['sign'])
    const transmissionId = sign.id ?? globalThis.crypto.randomUUID()
    const transmissionTime = new Date(signingTimestamp(sign) * 1000).toISOString().replace('.000Z', 'Z')
    const body = typeof sign.body === 'string' ? new TextEncoder().encode(sign.body) : sign.body
    const message = new TextEncoder().encode(`${transmissionId}|${transmissionTime}|${webhookId}|${crc32(body)}`)
    const signature = new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', await key, toArrayBuffer(message)))
    const headers = {
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-time': transmissionTime,
      'paypal-transmission-sig': encodeBase64(signature),
      'paypal-cert-url': signing.certUrl,
      'paypal-auth-algo': AUTH_ALGO,
    }
    return { headers: { 'content-type': 'application/json', ...sign.headers, ...headers }, body: sign.body }
  }
}
