/**
 * X.509 chain checks on either crypto path. On node:crypto the certificates
 * are node's own `X509Certificate` objects (OpenSSL parses them, checks the
 * issuer names and verifies the signatures); elsewhere they are read by the
 * strict DER reader and verified with Web Crypto. Both paths apply the same
 * rules: accepted signature algorithms only, RSA of 2048 bits or more.
 *
 * @module
 */
import { nodeCryptoModule, nodeKeyFits, type CryptoBackend } from '../../../crypto.js'
import { DerError, parseCertificate, pemCertificates, signatureAlgorithmOf } from './der.js'

/** One certificate, whichever path read it. */
export interface CertificateView {
  readonly der: Uint8Array
  readonly commonNames: readonly string[]
  /** Seconds since the epoch. */
  readonly notBefore: number
  readonly notAfter: number
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array
  readonly isCA: boolean
  /** Whether `issuer`'s subject names this certificate's issuer. */
  issuedBy(issuer: CertificateView): boolean
  /** Whether `issuer`'s key signed this certificate, with an accepted algorithm and key size. */
  signedBy(issuer: CertificateView): Promise<boolean>
}

/** Reads certificates for one crypto path. Throws DerError on anything malformed. */
export interface CertificateReader {
  chain(pem: string, max: number): CertificateView[]
}

/** What the chain check proved: the leaf key and the window in which the whole chain is valid. */
export interface VerifiedCertificate {
  spki: Uint8Array
  notBefore: number
  notAfter: number
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

type NodeX509 = InstanceType<typeof import('node:crypto').X509Certificate>

function nodeView(cert: NodeX509): CertificateView & { x509: NodeX509 } {
  const algorithm = signatureAlgorithmOf(new Uint8Array(cert.raw))
  return {
    x509: cert,
    der: new Uint8Array(cert.raw),
    // One `CN=` line per common name; OpenSSL escapes control characters, so no value can forge a line.
    commonNames: cert.subject.split('\n').flatMap((line) => (line.startsWith('CN=') ? [line.slice(3)] : [])),
    notBefore: Date.parse(cert.validFrom) / 1000,
    notAfter: Date.parse(cert.validTo) / 1000,
    spki: new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' })),
    isCA: cert.ca,
    issuedBy: (issuer) => cert.checkIssued((issuer as ReturnType<typeof nodeView>).x509),
    async signedBy(issuer) {
      const key = (issuer as ReturnType<typeof nodeView>).x509.publicKey
      return algorithm !== undefined && nodeKeyFits(key, algorithm) && cert.verify(key)
    },
  }
}

function derView(der: Uint8Array, backend: CryptoBackend): CertificateView & { issuer: string; subject: string } {
  const cert = parseCertificate(der)
  return {
    ...cert,
    issuedBy: (issuer) => cert.issuer === (issuer as ReturnType<typeof derView>).subject,
    signedBy: async (issuer) =>
      cert.signatureAlgorithm !== undefined &&
      backend.verifyPublicKey !== undefined &&
      (await backend.verifyPublicKey(cert.signatureAlgorithm, issuer.spki, cert.tbs, cert.signature)),
  }
}

/** node's X509Certificate on the node:crypto backend, the DER reader and Web Crypto otherwise. */
export function certificateReader(backend: CryptoBackend): CertificateReader {
  const X509Certificate = backend.kind === 'node' ? nodeCryptoModule()?.X509Certificate : undefined
  if (X509Certificate) {
    return {
      chain: (pem, max) =>
        pemCertificates(pem, max).map((der) => {
          try {
            return nodeView(new X509Certificate(der))
          } catch {
            throw new DerError('unreadable certificate')
          }
        }),
    }
  }
  return { chain: (pem, max) => pemCertificates(pem, max).map((der) => derView(der, backend)) }
}

/** Every readable certificate of the PEM roots; unreadable ones can only fail to anchor, never widen trust. */
export function readRoots(reader: CertificateReader, pems: readonly string[]): CertificateView[] {
  return pems.flatMap((pem) => {
    try {
      return reader.chain(pem, 1)
    } catch {
      return []
    }
  })
}

async function anchored(last: CertificateView, roots: readonly CertificateView[]): Promise<boolean> {
  for (const root of roots) {
    if (!last.issuedBy(root)) continue
    if (sameBytes(root.der, last.der) || (await last.signedBy(root))) return true
  }
  return false
}

/**
 * Checks a leaf-first chain: the leaf names `commonName`, each certificate is
 * issued and signed by the next, which is a CA, and the last one by a trusted
 * root (unless `roots` is undefined). Answers undefined with the reason when
 * the chain fails.
 */
export async function checkChain(
  certs: readonly CertificateView[],
  commonName: string,
  roots: readonly CertificateView[] | undefined,
): Promise<VerifiedCertificate | string> {
  const leaf = certs[0]!
  if (!leaf.commonNames.includes(commonName)) return `certificate is not issued to ${commonName}`
  let notBefore = -Infinity
  let notAfter = Infinity
  for (let i = 0; i < certs.length; i++) {
    const cert = certs[i]!
    notBefore = Math.max(notBefore, cert.notBefore)
    notAfter = Math.min(notAfter, cert.notAfter)
    const issuer = certs[i + 1]
    if (issuer && !(issuer.isCA && cert.issuedBy(issuer) && (await cert.signedBy(issuer))))
      return 'certificate chain is broken (issuer is not a CA or did not sign)'
  }
  if (roots && !(await anchored(certs[certs.length - 1]!, roots)))
    return 'certificate chain does not reach a trusted root'
  return { spki: leaf.spki, notBefore, notAfter }
}
