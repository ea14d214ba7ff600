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
 * requests share one fetch) and checked: PEM chain parsed strictly, the leaf
 * names `messageverificationcerts.paypal.com` (or `.sandbox.paypal.com`),
 * every certificate is inside its validity dates, each is signed by the next
 * and the next is a CA, and the last one is signed by a trusted root (by
 * default the runtime's Mozilla root store). Not checked: revocation
 * (CRL/OCSP), name constraints, key usage and policy extensions.
 *
 * @module
 */
import {
  crc32,
  decodeBase64,
  encodeBase64,
  toArrayBuffer,
  type CryptoBackend,
  type PublicKeyAlgorithm,
} from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  checkTimestamp,
  invalidSignature,
  parseJson,
  readHeader,
  requireSignatureHeader,
  resolveBackend,
  resolveTolerance,
  signingTimestamp,
  stringField,
} from './shared.js'

export interface PayPalOptions {
  /** Required: the webhook's id from the PayPal developer dashboard (letters and digits). It is part of what PayPal signs. */
  webhookId: string
  /** Which PayPal deliveries to accept: 'live' or 'sandbox' (hosts and certificate names differ). Default 'live'. */
  environment?: 'live' | 'sandbox'
  /** Allowed clock skew of `PAYPAL-TRANSMISSION-TIME`, seconds, both directions. Default 300. */
  tolerance?: number
  /** Turn the transmission-time check off (unsafe). Default false. */
  skipTimestampCheck?: boolean
  /**
   * Fetches the PEM text at a certificate URL that already passed the host
   * checks. Default: the global `fetch`, no redirects, 10 s timeout, 64 KiB
   * limit. Inject one to run offline (tests) or to add a proxy. Resolve to
   * `undefined` when PayPal has no such certificate (a 4xx: the delivery is
   * forged, 401); throw when it could not be reached (503, PayPal retries).
   */
  fetchCertificate?: (url: string) => Promise<string | undefined>
  /** How many certificate URLs to remember (least recently used go first). Default 16. */
  cacheSize?: number
  /**
   * Root certificates (PEM) the chain must end at, or `false` to skip the
   * chain check and rely on the host allowlist and TLS alone. Default: the
   * runtime's root store (`tls.rootCertificates`); required on runtimes
   * without node:tls.
   */
  trustedRoots?: readonly string[] | false
  /**
   * Test-only: lets `hookguard/testing` sign deliveries. `privateKey` is the
   * PKCS#8 PEM key of the certificate served at `certUrl`. Default: none.
   */
  signing?: { privateKey: string; certUrl: string }
  /** Crypto implementation; default node:crypto when present, else Web Crypto. */
  crypto?: CryptoBackend
}

const HOSTS = {
  live: ['api.paypal.com', 'api-m.paypal.com'],
  sandbox: ['api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'],
} as const
const SUBJECTS = {
  live: 'messageverificationcerts.paypal.com',
  sandbox: 'messageverificationcerts.sandbox.paypal.com',
} as const
const CERT_PATH_RE = /^\/v1\/notifications\/certs\/[A-Za-z0-9._-]{1,128}$/
const AUTH_ALGO = 'SHA256withRSA'
/** Printable ASCII without `|`, which would make the signed string ambiguous. */
const TRANSMISSION_ID_RE = /^[\x21-\x7b\x7d\x7e]{1,128}$/
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
const MAX_CERT_BYTES = 64 * 1024
const MAX_CHAIN = 5

/** Seconds since the epoch of a strict RFC 3339 date-time, or undefined. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339_RE.exec(text)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const ms = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(ms)
  // Date.UTC rolls 2026-02-30 over to March; a round trip catches it.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return undefined
  let offset = 0
  const zone = m[8]!
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 23 || om > 59) return undefined
    offset = (oh * 60 + om) * (zone[0] === '+' ? 1 : -1)
  }
  const fraction = m[7] ? Number(m[7]) : 0
  return ms / 1000 - offset * 60 + fraction
}

// ---------------------------------------------------------------- X.509 (DER)

interface Tlv {
  tag: number
  start: number
  valueStart: number
  end: number
}

class DerError extends Error {}

function readTlv(bytes: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated')
  const tag = bytes[offset]!
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tag')
  let length = bytes[offset + 1]!
  let valueStart = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 3 || valueStart + count > limit) throw new DerError('bad length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[valueStart + i]!
    if (length < 0x80 || (count > 1 && bytes[valueStart] === 0)) throw new DerError('non-minimal length')
    valueStart += count
  }
  const end = valueStart + length
  if (end > limit) throw new DerError('truncated')
  return { tag, start: offset, valueStart, end }
}

function expectTag(bytes: Uint8Array, offset: number, limit: number, tag: number): Tlv {
  const tlv = readTlv(bytes, offset, limit)
  if (tlv.tag !== tag) throw new DerError(`expected tag ${tag}`)
  return tlv
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

const SIGNATURE_OIDS: Record<string, PublicKeyAlgorithm> = {
  '2a864886f70d01010b': 'rsa-pkcs1-sha256',
  '2a864886f70d01010c': 'rsa-pkcs1-sha384',
  '2a864886f70d01010d': 'rsa-pkcs1-sha512',
  '2a8648ce3d040302': 'ecdsa-p256-sha256',
  '2a8648ce3d040303': 'ecdsa-p384-sha384',
}
const OID_COMMON_NAME = '550403'
const OID_BASIC_CONSTRAINTS = '551d13'

interface Certificate {
  der: Uint8Array
  tbs: Uint8Array
  signatureAlgorithm: PublicKeyAlgorithm | undefined
  signature: Uint8Array
  issuer: string
  subject: string
  commonNames: string[]
  notBefore: number
  notAfter: number
  spki: Uint8Array
  isCA: boolean
}

function parseTime(bytes: Uint8Array, tlv: Tlv): number {
  const text = String.fromCharCode(...bytes.subarray(tlv.valueStart, tlv.end))
  const m =
    tlv.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : tlv.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null
  if (!m) throw new DerError('bad time')
  let year = Number(m[1])
  if (tlv.tag === 0x17) year += year < 50 ? 2000 : 1900
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000
}

function commonNamesOf(bytes: Uint8Array, name: Tlv): string[] {
  const names: string[] = []
  for (let p = name.valueStart; p < name.end;) {
    const set = expectTag(bytes, p, name.end, 0x31)
    for (let q = set.valueStart; q < set.end;) {
      const attribute = expectTag(bytes, q, set.end, 0x30)
      const oid = expectTag(bytes, attribute.valueStart, attribute.end, 0x06)
      const value = readTlv(bytes, oid.end, attribute.end)
      // PrintableString, UTF8String, IA5String
      if (hex(bytes.subarray(oid.valueStart, oid.end)) === OID_COMMON_NAME && [0x13, 0x0c, 0x16].includes(value.tag)) {
        names.push(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(value.valueStart, value.end)))
      }
      q = attribute.end
    }
    p = set.end
  }
  return names
}

function isCertificateAuthority(bytes: Uint8Array, extensions: Tlv): boolean {
  const list = expectTag(bytes, extensions.valueStart, extensions.end, 0x30)
  for (let p = list.valueStart; p < list.end;) {
    const extension = expectTag(bytes, p, list.end, 0x30)
    const oid = expectTag(bytes, extension.valueStart, extension.end, 0x06)
    if (hex(bytes.subarray(oid.valueStart, oid.end)) === OID_BASIC_CONSTRAINTS) {
      let next = readTlv(bytes, oid.end, extension.end)
      if (next.tag === 0x01) next = readTlv(bytes, next.end, extension.end) // critical flag
      if (next.tag !== 0x04) throw new DerError('bad extension')
      const constraints = expectTag(bytes, next.valueStart, next.end, 0x30)
      if (constraints.valueStart === constraints.end) return false
      const first = readTlv(bytes, constraints.valueStart, constraints.end)
      return first.tag === 0x01 && first.end - first.valueStart === 1 && bytes[first.valueStart] === 0xff
    }
    p = extension.end
  }
  return false
}

function parseCertificate(der: Uint8Array): Certificate {
  const cert = expectTag(der, 0, der.length, 0x30)
  if (cert.end !== der.length) throw new DerError('trailing bytes')
  const tbs = expectTag(der, cert.valueStart, cert.end, 0x30)
  const algorithm = expectTag(der, tbs.end, cert.end, 0x30)
  const signatureValue = expectTag(der, algorithm.end, cert.end, 0x03)
  if (signatureValue.end !== cert.end || der[signatureValue.valueStart] !== 0) throw new DerError('bad signature value')
  const algorithmOid = expectTag(der, algorithm.valueStart, algorithm.end, 0x06)

  let p = tbs.valueStart
  let field = readTlv(der, p, tbs.end)
  if (field.tag === 0xa0) field = readTlv(der, (p = field.end), tbs.end) // version
  expectTag(der, p, tbs.end, 0x02) // serial
  const innerAlgorithm = expectTag(der, field.end, tbs.end, 0x30)
  // The signed algorithm must be the one the outer signature claims.
  if (hex(der.subarray(innerAlgorithm.start, innerAlgorithm.end)) !== hex(der.subarray(algorithm.start, algorithm.end)))
    throw new DerError('algorithm mismatch')
  const issuer = expectTag(der, innerAlgorithm.end, tbs.end, 0x30)
  const validity = expectTag(der, issuer.end, tbs.end, 0x30)
  const notBefore = readTlv(der, validity.valueStart, validity.end)
  const notAfter = readTlv(der, notBefore.end, validity.end)
  const subject = expectTag(der, validity.end, tbs.end, 0x30)
  const spki = expectTag(der, subject.end, tbs.end, 0x30)
  let isCA = false
  for (let q = spki.end; q < tbs.end;) {
    const optional = readTlv(der, q, tbs.end)
    if (optional.tag === 0xa3) isCA = isCertificateAuthority(der, optional)
    q = optional.end
  }
  return {
    der,
    tbs: der.subarray(tbs.start, tbs.end),
    signatureAlgorithm: SIGNATURE_OIDS[hex(der.subarray(algorithmOid.valueStart, algorithmOid.end))],
    signature: der.subarray(signatureValue.valueStart + 1, signatureValue.end),
    issuer: hex(der.subarray(issuer.start, issuer.end)),
    subject: hex(der.subarray(subject.start, subject.end)),
    commonNames: commonNamesOf(der, subject),
    notBefore: parseTime(der, notBefore),
    notAfter: parseTime(der, notAfter),
    spki: der.subarray(spki.start, spki.end),
    isCA,
  }
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----/g

/** Every certificate in a PEM text, strictly decoded. Throws DerError. */
function parsePemChain(text: string): Certificate[] {
  const certs: Certificate[] = []
  for (const match of text.matchAll(PEM_RE)) {
    if (certs.length === MAX_CHAIN) throw new DerError('chain too long')
    const der = decodeBase64(match[1]!.replace(/\r?\n/g, ''))
    if (!der) throw new DerError('bad base64')
    certs.push(parseCertificate(der))
  }
  if (certs.length === 0) throw new DerError('no certificate')
  return certs
}

type NodeTls = typeof import('node:tls')
let systemRoots: Map<string, Certificate[]> | undefined

function indexRoots(pems: readonly string[]): Map<string, Certificate[]> {
  const index = new Map<string, Certificate[]>()
  for (const pem of pems) {
    let certs: Certificate[]
    try {
      certs = parsePemChain(pem)
    } catch {
      continue // a root this parser cannot read can only fail to anchor, never widen trust
    }
    for (const cert of certs) index.set(cert.subject, [...(index.get(cert.subject) ?? []), cert])
  }
  return index
}

function runtimeRootPems(): readonly string[] | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return (proc?.getBuiltinModule?.('node:tls') as NodeTls | undefined)?.rootCertificates
  } catch {
    return undefined
  }
}

/** What the cache keeps per URL: the leaf key and the window in which the whole chain is valid. */
interface VerifiedCertificate {
  spki: Uint8Array
  notBefore: number
  notAfter: number
}

async function checkChain(
  certs: Certificate[],
  subject: string,
  roots: Map<string, Certificate[]> | undefined,
  verify: NonNullable<CryptoBackend['verifyPublicKey']>,
): Promise<VerifiedCertificate> {
  const leaf = certs[0]!
  if (!leaf.commonNames.includes(subject)) throw invalidSignature(`certificate is not issued to ${subject}`)
  let notBefore = -Infinity
  let notAfter = Infinity
  const signedBy = async (cert: Certificate, issuer: Certificate): Promise<boolean> =>
    cert.issuer === issuer.subject &&
    cert.signatureAlgorithm !== undefined &&
    (await verify(cert.signatureAlgorithm, issuer.spki, cert.tbs, cert.signature))
  for (let i = 0; i < certs.length; i++) {
    const cert = certs[i]!
    notBefore = Math.max(notBefore, cert.notBefore)
    notAfter = Math.min(notAfter, cert.notAfter)
    const issuer = certs[i + 1]
    if (issuer && !(issuer.isCA && (await signedBy(cert, issuer))))
      throw invalidSignature('certificate chain is broken (issuer is not a CA or did not sign)')
  }
  if (roots) {
    const last = certs[certs.length - 1]!
    let anchored = false
    for (const root of roots.get(last.issuer) ?? []) {
      if (hex(root.der) === hex(last.der) || (await signedBy(last, root))) {
        anchored = true
        break
      }
    }
    if (!anchored) throw invalidSignature('certificate chain does not reach a trusted root')
  }
  return { spki: leaf.spki, notBefore, notAfter }
}

async function defaultFetchCertificate(url: string): Promise<string | undefined> {
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
  if (!options || typeof options !== 'object')
    throw configError('paypal: pass { webhookId } — the webhook id from the PayPal developer dashboard')
  const { webhookId } = options
  if (typeof webhookId !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(webhookId)) {
    throw configError(
      'paypal: webhookId must be the webhook id from the PayPal developer dashboard (letters and digits, e.g. 8PT597110X687430LKGECATA)',
    )
  }
  const environment = options.environment ?? 'live'
  if (environment !== 'live' && environment !== 'sandbox')
    throw configError(`paypal: environment must be 'live' or 'sandbox'`)
  const hosts = HOSTS[environment]
  const subject = SUBJECTS[environment]
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const verifyPublicKey = backend.verifyPublicKey?.bind(backend)
  if (!verifyPublicKey)
    throw configError(
      'paypal: the crypto backend has no verifyPublicKey (RSA); use nodeCryptoBackend() or webCryptoBackend()',
    )
  const fetchCertificate = options.fetchCertificate ?? defaultFetchCertificate
  if (typeof fetchCertificate !== 'function')
    throw configError('paypal: fetchCertificate must be a function (url) => Promise<string>')
  const cacheSize = options.cacheSize ?? 16
  if (!Number.isInteger(cacheSize) || cacheSize < 1 || cacheSize > 1024)
    throw configError('paypal: cacheSize must be an integer from 1 to 1024')
  let roots: () => Map<string, Certificate[]> | undefined
  if (options.trustedRoots === false) {
    roots = () => undefined
  } else if (options.trustedRoots !== undefined) {
    if (!Array.isArray(options.trustedRoots) || options.trustedRoots.some((pem) => typeof pem !== 'string'))
      throw configError('paypal: trustedRoots must be an array of PEM strings, or false')
    const index = indexRoots(options.trustedRoots)
    if (index.size === 0) throw configError('paypal: trustedRoots holds no readable PEM certificate')
    roots = () => index
  } else {
    const pems = runtimeRootPems()
    if (!pems)
      throw configError(
        'paypal: this runtime has no node:tls root store; pass trustedRoots (PEM roots) or trustedRoots: false',
      )
    // Parsing ~150 roots takes a while: done once per process, on the first certificate check.
    roots = () => (systemRoots ??= indexRoots(pems))
  }
  const signing = options.signing
  if (signing !== undefined) {
    if (typeof signing?.privateKey !== 'string' || !signing.privateKey.includes('-----BEGIN PRIVATE KEY-----')) {
      throw configError('paypal: signing.privateKey must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)')
    }
    if (typeof signing.certUrl !== 'string' || !allowedCertificateUrl(signing.certUrl, hosts)) {
      throw configError(`paypal: signing.certUrl must be https://${hosts[0]}/v1/notifications/certs/<name>`)
    }
  }

  // Promise per URL: concurrent requests share one fetch; Map order gives least-recently-used eviction.
  const cache = new Map<string, Promise<VerifiedCertificate>>()
  function certificateFor(url: string): Promise<VerifiedCertificate> {
    const cached = cache.get(url)
    if (cached) {
      cache.delete(url)
      cache.set(url, cached)
      return cached
    }
    const pending = (async () => {
      let pem: string | undefined
      try {
        pem = await fetchCertificate(url)
        if (pem !== undefined && pem !== null && typeof pem !== 'string')
          throw new TypeError('fetchCertificate must resolve to PEM text or undefined')
      } catch (error) {
        // Not cached: the next delivery tries again.
        cache.delete(url)
        throw new HookguardError('certificate.unavailable', {
          reason: 'could not fetch the PayPal certificate',
          cause: error,
        })
      }
      if (pem === undefined || pem === null) {
        cache.delete(url)
        throw invalidSignature('PayPal has no certificate at that URL')
      }
      if (pem.length > MAX_CERT_BYTES) throw invalidSignature('certificate too large')
      let certs: Certificate[]
      try {
        certs = parsePemChain(pem)
      } catch {
        throw invalidSignature('certificate is not a readable PEM chain')
      }
      return checkChain(certs, subject, roots(), verifyPublicKey!)
    })()
    cache.set(url, pending)
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value!)
    return pending
  }

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['paypal-transmission-sig'],
    async verify(request: ProviderRequest) {
      const signatureText = requireSignatureHeader(request, 'paypal-transmission-sig')
      const transmissionId = readHeader(request, 'paypal-transmission-id')
      const transmissionTime = readHeader(request, 'paypal-transmission-time')
      const certUrlText = readHeader(request, 'paypal-cert-url')
      const authAlgo = readHeader(request, 'paypal-auth-algo')
      if (
        transmissionId === undefined ||
        transmissionTime === undefined ||
        certUrlText === undefined ||
        authAlgo === undefined
      ) {
        throw new HookguardError('signature.missing', {
          reason: 'a PAYPAL-TRANSMISSION-ID/-TIME, PAYPAL-CERT-URL or PAYPAL-AUTH-ALGO header is missing',
        })
      }
      if (authAlgo !== AUTH_ALGO) throw invalidSignature('PAYPAL-AUTH-ALGO is not SHA256withRSA')
      if (!TRANSMISSION_ID_RE.test(transmissionId))
        throw new HookguardError('header.malformed', { reason: 'PAYPAL-TRANSMISSION-ID is malformed' })
      const timestamp = parseRfc3339(transmissionTime)
      if (timestamp === undefined)
        throw new HookguardError('timestamp.malformed', {
          reason: 'PAYPAL-TRANSMISSION-TIME is not an RFC 3339 date-time',
        })
      checkTimestamp(timestamp, request.now, tolerance)
      const signature = decodeBase64(signatureText)
      if (!signature || signature.length < 256 || signature.length > 1024)
        throw new HookguardError('signature.malformed', {
          reason: 'PAYPAL-TRANSMISSION-SIG is not base64 of an RSA signature',
        })
      const certUrl = allowedCertificateUrl(certUrlText, hosts)
      if (!certUrl) throw invalidSignature(`PAYPAL-CERT-URL is not a ${environment} PayPal certificate URL`)

      const certificate = await certificateFor(certUrl)
      const nowSeconds = request.now / 1000
      if (nowSeconds < certificate.notBefore || nowSeconds > certificate.notAfter)
        throw invalidSignature('certificate is outside its validity period')
      const message = new TextEncoder().encode(
        `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(request.body)}`,
      )
      if (!(await verifyPublicKey!('rsa-pkcs1-sha256', certificate.spki, message, signature))) throw invalidSignature()
      return { timestamp: Math.floor(timestamp) }
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'event_type') }
    },
  }

  if (signing) {
    let key: Promise<CryptoKey> | undefined
    Object.defineProperty(provider, SIGN, {
      value: async function signPayPal(sign: SignOptions) {
        const subtle = globalThis.crypto?.subtle
        if (!subtle) throw configError('paypal: signing needs Web Crypto (globalThis.crypto.subtle)')
        const pem = signing.privateKey.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, '')
        const der = decodeBase64(pem)
        if (!der) throw configError('paypal: signing.privateKey is not valid PEM')
        key ??= subtle.importKey('pkcs8', toArrayBuffer(der), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, [
          'sign',
        ])
        const transmissionId = sign.id ?? globalThis.crypto.randomUUID()
        const transmissionTime = new Date(signingTimestamp(sign) * 1000).toISOString().replace('.000Z', 'Z')
        const body = typeof sign.body === 'string' ? new TextEncoder().encode(sign.body) : sign.body
        const message = new TextEncoder().encode(`${transmissionId}|${transmissionTime}|${webhookId}|${crc32(body)}`)
        const signature = new Uint8Array(await subtle.sign('RSASSA-PKCS1-v1_5', await key, toArrayBuffer(message)))
        return {
          headers: {
            'content-type': 'application/json',
            ...sign.headers,
            'paypal-transmission-id': transmissionId,
            'paypal-transmission-time': transmissionTime,
            'paypal-transmission-sig': encodeBase64(signature),
            'paypal-cert-url': signing.certUrl,
            'paypal-auth-algo': AUTH_ALGO,
          },
          body: sign.body,
        }
      },
    })
  }
  return provider
}
