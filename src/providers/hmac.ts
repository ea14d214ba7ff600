/**
 * A generic, configurable HMAC scheme for in-house senders and providers
 * without a dedicated factory.
 *
 * @module
 */
import { decodeBase64, decodeHex, encodeBase64, encodeHex, type HmacAlgorithm, type Piece } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { bodyHashId, parseJson, record } from './kit/body.js'
import { malformedSignature, MAX_SIGNATURE_ENTRIES } from './kit/fail.js'
import { readHeader, requireSignatureHeader } from './kit/headers.js'
import { verifyHmac, type HmacScheme } from './kit/hmac.js'
import { keySource, withKeys } from './kit/keys.js'
import { checkProviderName } from './kit/name.js'
import { requireOptions, resolveBackend, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp, resolveTolerance } from './kit/timestamp.js'

export interface HmacOptions extends ProviderOptions {
  /** Provider name in dedupe keys and outcomes. @default 'hmac' */
  name?: string
  /** Chosen by you, never by the request; 'sha1' only for legacy senders. @default 'sha256' */
  algorithm?: HmacAlgorithm
  /** How the secret string becomes key bytes. @default 'utf8' */
  secretEncoding?: 'utf8' | 'hex' | 'base64'
  /** Header that carries the signature (any case). Required. */
  signatureHeader: string
  /** Signature encoding: lower-case hex (as `digest('hex')` writes it) or padded standard base64. @default 'hex' */
  encoding?: 'hex' | 'base64'
  /** Text before the signature in the header, such as 'sha256='. @default none */
  prefix?: string
  /**
   * Separator between several signatures in one header (rotation), such as
   * ' ' or ','. @default none: one signature per header
   */
  separator?: string
  /** Header with the signed timestamp (whole seconds). @default none: no timestamp */
  timestampHeader?: string
  /**
   * Layout of the signed content, with `{body}` once and optionally
   * `{timestamp}` and `{id}`.
   * @default '{timestamp}.{body}' with a timestamp header, '{body}' without
   */
  signedContent?: string
  /** Header with the event id. @default none */
  idHeader?: string
  /** Top-level body field with the event id (used when there is no idHeader). @default none */
  idField?: string
  /** Header with the event type. @default none */
  typeHeader?: string
  /** Top-level body field with the event type. @default none */
  typeField?: string
  /**
   * Whether the verified MAC is the delivery's fingerprint, which the
   * receiver dedupes on instead of the id, so a captured delivery resent
   * under a fresh `idHeader` value is a duplicate. Right when `idHeader` is
   * not part of `signedContent` and the sender resends retries byte for byte
   * (no signed timestamp); wrong when it signs each retry anew (the MAC then
   * changes) or sends identical signed content for distinct events.
   * @default true when `idHeader` is set but not signed and no timestamp is signed, else false
   */
  fingerprint?: boolean
}

type Slot = 'body' | 'timestamp' | 'id'
type Template = Array<{ text: string } | { slot: Slot }>

function parseTemplate(template: string): Template {
  const parts: Template = []
  const re = /\{(body|timestamp|id)\}/g
  let last = 0
  for (let match = re.exec(template); match; match = re.exec(template)) {
    if (match.index > last) parts.push({ text: template.slice(last, match.index) })
    parts.push({ slot: match[1] as Slot })
    last = match.index + match[0].length
  }
  if (last < template.length) parts.push({ text: template.slice(last) })
  return parts
}

function headerName(name: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value))
    throw configError(`${name}: ${option} must be a header name`)
  return value.toLowerCase()
}

function oneOf<T extends string>(name: string, option: string, value: T, allowed: readonly T[], text: string): T {
  if (!allowed.includes(value)) throw configError(`${name}: ${option} must be ${text}`)
  return value
}

/** Key bytes of one secret in the configured encoding. */
function secretDecoder(encoding: 'utf8' | 'hex' | 'base64'): ((secret: string) => Uint8Array) | undefined {
  if (encoding === 'utf8') return undefined
  return (secret) => {
    const bytes = encoding === 'hex' ? decodeHex(secret, 'any') : decodeBase64(secret)
    if (!bytes) throw new Error(`is not valid ${encoding}`)
    return bytes
  }
}

interface Layout {
  signatureHeader: string
  timestampHeader?: string
  idHeader?: string
  typeHeader?: string
  prefix: string
  separator?: string
  /** The separator holds ', ', so a value with it is a list, not a repeat joined by a Fetch Headers object. */
  joinable: boolean
  template: Template
  slots: Slot[]
}

function checkSeparator(name: string, prefix: string, separator: unknown, encoding: 'hex' | 'base64'): void {
  if (separator === undefined) return
  if (typeof separator !== 'string' || separator === '')
    throw configError(`${name}: separator must be a non-empty string`)
  // A separator that can occur inside a signature or its prefix would split valid headers apart.
  const alphabet = encoding === 'hex' ? /[0-9a-fA-F]/ : /[A-Za-z0-9+/=]/
  if (prefix.includes(separator) || [...separator].some((c) => alphabet.test(c)))
    throw configError(`${name}: separator must not occur in the prefix or in ${encoding} signatures`)
}

/** The header names and signed-content layout, validated together. */
function resolveLayout(name: string, options: HmacOptions, encoding: 'hex' | 'base64'): Layout {
  const signatureHeader = headerName(name, 'signatureHeader', options.signatureHeader)
  if (!signatureHeader) throw configError(`${name}: signatureHeader is required`)
  const timestampHeader = headerName(name, 'timestampHeader', options.timestampHeader)
  const idHeader = headerName(name, 'idHeader', options.idHeader)
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string') throw configError(`${name}: prefix must be a string`)
  checkSeparator(name, prefix, options.separator, encoding)
  if (options.signedContent !== undefined && typeof options.signedContent !== 'string')
    throw configError(`${name}: signedContent must be a string`)
  const template = parseTemplate(options.signedContent ?? (timestampHeader ? '{timestamp}.{body}' : '{body}'))
  const slots = template.flatMap((part) => ('slot' in part ? [part.slot] : []))
  if (slots.filter((slot) => slot === 'body').length !== 1)
    throw configError(`${name}: signedContent must contain {body} exactly once`)
  if (slots.includes('timestamp') && !timestampHeader)
    throw configError(`${name}: signedContent uses {timestamp} but no timestampHeader is set`)
  // An unsigned timestamp can be rewritten by whoever replays the request, so checking it would protect nothing.
  if (timestampHeader && !slots.includes('timestamp'))
    throw configError(`${name}: signedContent must contain {timestamp} when timestampHeader is set`)
  if (slots.includes('id') && !idHeader) throw configError(`${name}: signedContent uses {id} but no idHeader is set`)
  const typeHeader = headerName(name, 'typeHeader', options.typeHeader)
  return {
    signatureHeader,
    timestampHeader,
    idHeader,
    typeHeader,
    prefix,
    separator: options.separator,
    joinable: options.separator?.includes(', ') === true,
    template,
    slots,
  }
}

function piecesOf(layout: Layout, body: Uint8Array | string, timestamp?: string, id?: string): Piece[] {
  return layout.template.map((part) =>
    'text' in part ? part.text : part.slot === 'body' ? body : part.slot === 'timestamp' ? timestamp! : id!,
  )
}

/** Every received signature, strictly decoded. */
function receivedSignatures(layout: Layout, header: string, decode: (text: string) => Uint8Array | undefined) {
  const entries =
    layout.separator === undefined ? [header] : header.split(layout.separator).filter((entry) => entry !== '')
  if (entries.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature('too many signatures')
  const received: Uint8Array[] = []
  for (const entry of entries) {
    if (!entry.startsWith(layout.prefix))
      throw malformedSignature(`${layout.signatureHeader} lacks the expected prefix`)
    const bytes = decode(entry.slice(layout.prefix.length))
    if (!bytes) throw malformedSignature(`${layout.signatureHeader} is not in the configured encoding`)
    received.push(bytes)
  }
  return received
}

/** The configured id and type fields of a payload. */
function describeFrom(options: HmacOptions, payload: unknown): { id?: string; type?: string } {
  const fields = record(payload) ?? {}
  const id = options.idField !== undefined ? fields[options.idField] : undefined
  const type = options.typeField !== undefined ? fields[options.typeField] : undefined
  return {
    id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
    type: typeof type === 'string' ? type : undefined,
  }
}

/** Everything `hmac()` fixes at construction, validated together. */
function resolveSettings(options: HmacOptions) {
  requireOptions('hmac', options, '{ secret, signatureHeader }')
  const name = checkProviderName(options.name ?? 'hmac')
  const algorithms: HmacAlgorithm[] = ['sha1', 'sha256', 'sha512']
  const algorithm = oneOf(name, 'algorithm', options.algorithm ?? 'sha256', algorithms, "'sha256', 'sha512' or 'sha1'")
  const encoding = oneOf(name, 'encoding', options.encoding ?? 'hex', ['hex', 'base64'], "'hex' or 'base64'")
  const secretEncodings = ['utf8', 'hex', 'base64'] as const
  const secretEncoding = oneOf(
    name,
    'secretEncoding',
    options.secretEncoding ?? 'utf8',
    [...secretEncodings],
    "'utf8', 'hex' or 'base64'",
  )
  const keys = keySource(name, options.secret, { decode: secretDecoder(secretEncoding) }, options)
  const layout = resolveLayout(name, options, encoding)
  for (const field of ['idField', 'typeField'] as const) {
    if (options[field] !== undefined && (typeof options[field] !== 'string' || options[field] === ''))
      throw configError(`${name}: ${field} must be a non-empty string`)
  }
  if (!layout.timestampHeader && options.tolerance !== undefined)
    throw configError(`${name}: tolerance needs a timestampHeader`)
  const tolerance = layout.timestampHeader ? resolveTolerance(name, options) : undefined
  const unsignedId = layout.idHeader !== undefined && !layout.slots.includes('id')
  const fingerprint = options.fingerprint ?? (unsignedId && !layout.slots.includes('timestamp'))
  if (typeof fingerprint !== 'boolean') throw configError(`${name}: fingerprint must be a boolean`)
  const scheme: HmacScheme = { backend: resolveBackend(options.crypto), algorithm, fingerprint }
  return { name, encoding, keys, layout, tolerance, scheme }
}

type Settings = ReturnType<typeof resolveSettings>

function verifier({ encoding, keys, layout, tolerance, scheme }: Settings) {
  const decode = encoding === 'hex' ? (text: string) => decodeHex(text) : (text: string) => decodeBase64(text)
  return function verify(request: ProviderRequest): Verification | Promise<Verification> {
    const header = requireSignatureHeader(request, layout.signatureHeader, { joinable: layout.joinable })
    const received = receivedSignatures(layout, header, decode)
    let timestampText: string | undefined
    let timestamp: number | undefined
    if (layout.timestampHeader) {
      timestampText = readHeader(request, layout.timestampHeader)
      timestamp = parseTimestamp(timestampText, layout.timestampHeader)
      checkTimestamp(timestamp, request.now, tolerance)
    }
    const id = layout.idHeader ? readHeader(request, layout.idHeader) : undefined
    if (layout.slots.includes('id') && !id)
      throw new HookguardError('id.missing', { reason: `${layout.idHeader} is missing` })
    const type = (layout.typeHeader && readHeader(request, layout.typeHeader)) || undefined
    const verification: Verification = { timestamp, id: id || undefined, type }
    const pieces = piecesOf(layout, request.body, timestampText, id)
    if (keys.fixed) return verifyHmac(scheme, keys.fixed, pieces, received, verification)
    return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, verification))
  }
}

function signer({ encoding, keys, layout, scheme }: Settings) {
  return async function signHmac(sign: SignOptions) {
    const timestamp = layout.timestampHeader ? String(signingTimestamp(sign)) : undefined
    const id = sign.id ?? (layout.idHeader ? crypto.randomUUID() : undefined)
    const [key] = await keys.forSigning(sign)
    const mac = await scheme.backend.hmac(scheme.algorithm, key!, piecesOf(layout, sign.body, timestamp, id))
    const encoded = encoding === 'hex' ? encodeHex(mac) : encodeBase64(mac)
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...sign.headers,
      [layout.signatureHeader]: layout.prefix + encoded,
    }
    if (layout.timestampHeader) headers[layout.timestampHeader] = timestamp!
    if (layout.idHeader && id) headers[layout.idHeader] = id
    return { headers, body: sign.body }
  }
}

/**
 * Generic HMAC receiver: every part of the scheme is fixed by you at construction.
 *
 * @example
 * ```ts
 * const provider = hmac({ secret: process.env.HOOK_SECRET!, signatureHeader: 'X-Signature', prefix: 'sha256=' })
 * ```
 */
export function hmac(options: HmacOptions): Provider {
  const settings = resolveSettings(options)
  const { layout, scheme } = settings
  return {
    name: settings.name,
    tolerance: settings.tolerance,
    sensitiveHeaders: [layout.signatureHeader],
    verify: verifier(settings),
    parse: (request) => parseJson(request.body),
    async describe(payload, request, verification) {
      const fields = describeFrom(options, payload)
      let id = verification.id ?? fields.id
      if (id === undefined && (layout.idHeader || options.idField))
        throw new HookguardError('id.missing', { reason: 'event id not found' })
      // Without a configured id, the body hash is the id: exact resends dedupe, edited ones do not.
      id ??= await bodyHashId(scheme.backend, request.body)
      return { id, type: verification.type ?? fields.type }
    },
    [SIGN]: signer(settings),
  }
}
