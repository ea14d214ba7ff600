/**
 * DocuSign Connect with HMAC: `X-DocuSign-Signature-1` … `-N`, base64
 * HMAC-SHA256 of the raw body, one header per active HMAC key of the account
 * (DocuSign allows up to 100). A delivery passes when any signature matches
 * any configured key, so keys can be added and retired one at a time.
 *
 * - Every present `X-DocuSign-Signature-n` (n = 1…100) is read; one that is
 *   not the padded base64 of 32 bytes is a 400, none at all a 401.
 * - No timestamp is signed: `tolerance` is refused.
 * - Id: JSON SIM messages carry no event id. The id is built from signed
 *   fields: `{data.envelopeId}:{event}:{data.recipientId}:{generatedDateTime}`
 *   (recipient part empty for envelope events). The body itself changes on a
 *   retry (`retryCount` grows), so a body hash would not dedupe retries. Where
 *   a field is missing (other event kinds, legacy XML messages) the id is
 *   `sha256:` + the hex SHA-256 of the body. DocuSign does not document
 *   whether `generatedDateTime` is kept on a retry: handlers must stay
 *   idempotent (the envelope id and event are in every event).
 * - Type: the body's `event` (`envelope-completed`, `recipient-signed` …).
 * - Legacy XML messages (also HMAC-signed) are verified the same way; their
 *   payload is the body text, unparsed.
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyHashId, bodyText, parseJson, record, stringField } from './kit/body.js'
import { malformedSignature } from './kit/fail.js'
import { readHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link docusign}. `secret` is an HMAC key of the account (Settings → Connect → Connect Keys), or several. */
export type DocuSignOptions = UntimedProviderOptions

/** The payload type of {@link docusign}: a JSON SIM message, or the text of a legacy XML one. */
export type DocuSignMessage =
  | {
      event: string
      apiVersion?: string
      uri?: string
      retryCount?: number | string
      configurationId?: number | string
      generatedDateTime: string
      data: { accountId?: string; envelopeId?: string; recipientId?: string; [field: string]: unknown }
      [field: string]: unknown
    }
  | string

/** DocuSign sends at most one signature per key, and an account has at most 100 keys. */
const MAX_KEYS = 100
const HEADERS = Array.from({ length: MAX_KEYS }, (_, i) => `x-docusign-signature-${i + 1}`)

function readSignatures(request: ProviderRequest): Uint8Array[] {
  const received: Uint8Array[] = []
  for (const header of HEADERS) {
    const value = readHeader(request, header)
    if (value === undefined || value.trim() === '') continue
    const bytes = decodeBase64(value)
    if (!bytes || bytes.length !== 32) throw malformedSignature(`${header} is not the padded base64 of 32 bytes`)
    received.push(bytes)
  }
  if (received.length === 0)
    throw new HookguardError('signature.missing', { reason: 'no x-docusign-signature-n header' })
  return received
}

function isXml(request: ProviderRequest): boolean {
  const type = readHeader(request, 'content-type')?.toLowerCase() ?? ''
  return type.includes('xml') || request.body[0] === 0x3c
}

/** The id from signed JSON fields, or undefined when one is missing. */
function messageId(payload: unknown): string | undefined {
  const data = record(record(payload)?.data)
  const event = stringField(payload, 'event')
  const envelope = stringField(data, 'envelopeId')
  const generated = stringField(payload, 'generatedDateTime')
  if (!event || !envelope || !generated) return undefined
  return `${envelope}:${event}:${stringField(data, 'recipientId') ?? ''}:${generated}`
}

/**
 * DocuSign Connect (account- or envelope-level) with HMAC signatures.
 *
 * @example
 * ```ts
 * const provider = docusign({ secret: [process.env.DOCUSIGN_HMAC_KEY_1!, process.env.DOCUSIGN_HMAC_KEY_2!] })
 * ```
 */
export function docusign(options: DocuSignOptions): Provider<DocuSignMessage> {
  const name = 'docusign'
  const opened = openProvider(name, options, { untimed: 'DocuSign Connect' })
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: HEADERS,
    verify(request) {
      const received = readSignatures(request)
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => (isXml(request) ? bodyText(request.body) : parseJson(request.body)),
    async describe(payload, request) {
      const id = typeof payload === 'string' ? undefined : messageId(payload)
      const type = typeof payload === 'string' ? undefined : stringField(payload, 'event')
      return { id: id ?? (await bodyHashId(opened.backend, request.body)), type }
    },
    async [SIGN](sign: SignOptions) {
      // One signature per configured key, as DocuSign sends one per active key.
      const keys = await opened.keys.forSigning(sign)
      const macs = await Promise.all(keys.map((key) => opened.backend.hmac('sha256', key, [sign.body])))
      const headers: Record<string, string> = { 'content-type': 'application/json', ...sign.headers }
      macs.forEach((mac, i) => (headers[HEADERS[i]!] = encodeBase64(mac)))
      return { headers, body: sign.body }
    },
  }
}
