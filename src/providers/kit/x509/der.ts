/**
 * Strict DER reading of X.509 certificates, for runtimes without
 * node:crypto's X509Certificate (the Web Crypto path), and the one field
 * node does not expose (the signature algorithm).
 *
 * @module
 */
import { decodeBase64, encodeHex, type PublicKeyAlgorithm } from '../../../crypto.js'

interface Tlv {
  tag: number
  start: number
  valueStart: number
  end: number
}

export class DerError extends Error {}

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

const hexOf = (bytes: Uint8Array, tlv: Tlv, whole = false): string =>
  encodeHex(bytes.subarray(whole ? tlv.start : tlv.valueStart, tlv.end))

const SIGNATURE_OIDS: Record<string, PublicKeyAlgorithm> = {
  '2a864886f70d01010b': 'rsa-pkcs1-sha256',
  '2a864886f70d01010c': 'rsa-pkcs1-sha384',
  '2a864886f70d01010d': 'rsa-pkcs1-sha512',
  '2a8648ce3d040302': 'ecdsa-p256-sha256',
  '2a8648ce3d040303': 'ecdsa-p384-sha384',
}
const OID_COMMON_NAME = '550403'
const OID_BASIC_CONSTRAINTS = '551d13'

/** A certificate as read from DER; names are compared as the hex of their DER. */
export interface DerCertificate {
  der: Uint8Array
  tbs: Uint8Array
  /** Undefined for algorithms hookguard does not accept (SHA-1, MD5 …). */
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
  const pattern =
    tlv.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
  const m = tlv.tag === 0x17 || tlv.tag === 0x18 ? pattern.exec(text) : null
  if (!m) throw new DerError('bad time')
  let year = Number(m[1])
  if (tlv.tag === 0x17) year += year < 50 ? 2000 : 1900
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function commonNamesOf(bytes: Uint8Array, name: Tlv): string[] {
  const names: string[] = []
  for (let p = name.valueStart; p < name.end;) {
    const set = expectTag(bytes, p, name.end, 0x31)
    for (let q = set.valueStart; q < set.end;) {
      const attribute = expectTag(bytes, q, set.end, 0x30)
      const oid = expectTag(bytes, attribute.valueStart, attribute.end, 0x06)
      const value = readTlv(bytes, oid.end, attribute.end)
      // PrintableString, UTF8String, IA5String
      if (hexOf(bytes, oid) === OID_COMMON_NAME && [0x13, 0x0c, 0x16].includes(value.tag))
        names.push(utf8.decode(bytes.subarray(value.valueStart, value.end)))
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
    if (hexOf(bytes, oid) === OID_BASIC_CONSTRAINTS) {
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

/** The outer layout: TBS, signature algorithm (checked against the signed copy) and signature value. */
function outer(der: Uint8Array) {
  const cert = expectTag(der, 0, der.length, 0x30)
  if (cert.end !== der.length) throw new DerError('trailing bytes')
  const tbs = expectTag(der, cert.valueStart, cert.end, 0x30)
  const algorithm = expectTag(der, tbs.end, cert.end, 0x30)
  const signatureValue = expectTag(der, algorithm.end, cert.end, 0x03)
  if (signatureValue.end !== cert.end || der[signatureValue.valueStart] !== 0) throw new DerError('bad signature value')
  const algorithmOid = expectTag(der, algorithm.valueStart, algorithm.end, 0x06)
  let field = readTlv(der, tbs.valueStart, tbs.end)
  if (field.tag === 0xa0) field = readTlv(der, field.end, tbs.end) // version, then the serial
  if (field.tag !== 0x02) throw new DerError('expected a serial number')
  const innerAlgorithm = expectTag(der, field.end, tbs.end, 0x30)
  // The signed algorithm must be the one the outer signature claims.
  if (hexOf(der, innerAlgorithm, true) !== hexOf(der, algorithm, true)) throw new DerError('algorithm mismatch')
  return { tbs, innerAlgorithm, signatureValue, algorithm: SIGNATURE_OIDS[hexOf(der, algorithmOid)] }
}

/** The signature algorithm of a certificate, when it is one hookguard accepts. Throws DerError on malformed DER. */
export function signatureAlgorithmOf(der: Uint8Array): PublicKeyAlgorithm | undefined {
  return outer(der).algorithm
}

/** Every field the chain check needs. Throws DerError. */
export function parseCertificate(der: Uint8Array): DerCertificate {
  const { tbs, innerAlgorithm, signatureValue, algorithm } = outer(der)
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
    signatureAlgorithm: algorithm,
    signature: der.subarray(signatureValue.valueStart + 1, signatureValue.end),
    issuer: hexOf(der, issuer, true),
    subject: hexOf(der, subject, true),
    commonNames: commonNamesOf(der, subject),
    notBefore: parseTime(der, notBefore),
    notAfter: parseTime(der, notAfter),
    spki: der.subarray(spki.start, spki.end),
    isCA,
  }
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----/g

/** The DER of every certificate in a PEM text, at most `max`, strictly decoded. Throws DerError. */
export function pemCertificates(text: string, max: number): Uint8Array[] {
  const ders: Uint8Array[] = []
  for (const match of text.matchAll(PEM_RE)) {
    if (ders.length === max) throw new DerError('chain too long')
    const der = decodeBase64(match[1]!.replace(/\r?\n/g, ''))
    if (!der) throw new DerError('bad base64')
    ders.push(der)
  }
  if (ders.length === 0) throw new DerError('no certificate')
  return ders
}
