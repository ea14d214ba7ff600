/**
 * A generic, configurable HMAC scheme for in-house senders and providers
 * without a dedicated factory.
 *
 * @module
 */
import { decodeBase64, decodeHex, encodeBase64, encodeHex, type HmacAlgorithm, type Piece } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { checkProviderName } from './standard-webhooks.js'
import {
  bodyHashId,
  checkTimestamp,
  matchHmac,
  MAX_SIGNATURE_ENTRIES,
  parseJson,
  parseTimestamp,
  type ProviderOptions,
  readHeader,
  requireMatch,
  requireSignatureHeader,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signingTimestamp,
} from './shared.js'

export interface HmacOptions extends ProviderOptions {
  /** Provider name in dedupe keys and outcomes. Default 'hmac'. */
  name?: string
  /** Chosen by you, never by the request. Default 'sha256'. 'sha1' only for legacy senders. */
  algorithm?: HmacAlgorithm
  /** How the secret string becomes key bytes. Default 'utf8'. */
  secretEncoding?: 'utf8' | 'hex' | 'base64'
  /** Header that carries the signature (any case). Required. */
  signatureHeader: string
  /** Signature encoding. Default 'hex'. */
  encoding?: 'hex' | 'base64'
  /** Text before the signature in the header, such as 'sha256='. Default none. */
  prefix?: string
  /**
   * Separator between several signatures in one header (rotation), such as
   * ' ' or ','. Default: one signature per header.
   */
  separator?: string
  /** Header with the signed timestamp (whole seconds). Default: no timestamp. */
  timestampHeader?: string
  /**
   * Layout of the signed content, with `{body}` once and optionally
   * `{timestamp}` and `{id}`. Default '{timestamp}.{body}' with a timestamp
   * header, '{body}' without.
   */
  signedContent?: string
  /** Header with the event id. */
  idHeader?: string
  /** Top-level body field with the event id (used when there is no idHeader). */
  idField?: string
  /** Header with the event type. */
  typeHeader?: string
  /** Top-level body field with the event type. */
  typeField?: string
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

function headerName(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value))
    throw configError(`hmac: ${option} must be a header name`)
  return value.toLowerCase()
}

/** Generic HMAC receiver: every part of the scheme is fixed by you at construction. */
export function hmac(options: HmacOptions): Provider {
  const name = options.name ?? 'hmac'
  checkProviderName(name)
  const algorithm = options.algorithm ?? 'sha256'
  if (!['sha1', 'sha256', 'sha512'].includes(algorithm))
    throw configError(`${name}: algorithm must be 'sha256', 'sha512' or 'sha1'`)
  const encoding = options.encoding ?? 'hex'
  if (encoding !== 'hex' && encoding !== 'base64') throw configError(`${name}: encoding must be 'hex' or 'base64'`)
  const secretEncoding = options.secretEncoding ?? 'utf8'
  if (!['utf8', 'hex', 'base64'].includes(secretEncoding))
    throw configError(`${name}: secretEncoding must be 'utf8', 'hex' or 'base64'`)
  const keys = resolveSecrets(name, options.secret, {
    decode:
      secretEncoding === 'utf8'
        ? undefined
        : (secret) => {
            const bytes = secretEncoding === 'hex' ? decodeHex(secret) : decodeBase64(secret)
            if (!bytes) throw new Error(`is not valid ${secretEncoding}`)
            return bytes
          },
  })
  const signatureHeader = headerName('signatureHeader', options.signatureHeader)
  if (!signatureHeader) throw configError(`${name}: signatureHeader is required`)
  const timestampHeader = headerName('timestampHeader', options.timestampHeader)
  const idHeader = headerName('idHeader', options.idHeader)
  const typeHeader = headerName('typeHeader', options.typeHeader)
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string') throw configError(`${name}: prefix must be a string`)
  const separator = options.separator
  if (separator !== undefined && (typeof separator !== 'string' || separator === ''))
    throw configError(`${name}: separator must be a non-empty string`)
  // A separator that can occur inside a signature or its prefix would split valid headers apart.
  if (
    separator !== undefined &&
    (prefix.includes(separator) ||
      [...separator].some((c) => (encoding === 'hex' ? /[0-9a-fA-F]/ : /[A-Za-z0-9+/=]/).test(c)))
  ) {
    throw configError(`${name}: separator must not occur in the prefix or in ${encoding} signatures`)
  }
  for (const field of ['idField', 'typeField'] as const) {
    if (options[field] !== undefined && (typeof options[field] !== 'string' || options[field] === ''))
      throw configError(`${name}: ${field} must be a non-empty string`)
  }
  if (options.signedContent !== undefined && typeof options.signedContent !== 'string')
    throw configError(`${name}: signedContent must be a string`)
  const template = parseTemplate(options.signedContent ?? (timestampHeader ? '{timestamp}.{body}' : '{body}'))
  const slots = template.filter((part): part is { slot: Slot } => 'slot' in part).map((part) => part.slot)
  if (slots.filter((slot) => slot === 'body').length !== 1)
    throw configError(`${name}: signedContent must contain {body} exactly once`)
  if (slots.includes('timestamp') && !timestampHeader)
    throw configError(`${name}: signedContent uses {timestamp} but no timestampHeader is set`)
  // An unsigned timestamp can be rewritten by whoever replays the request, so checking it would protect nothing.
  if (timestampHeader && !slots.includes('timestamp'))
    throw configError(`${name}: signedContent must contain {timestamp} when timestampHeader is set`)
  if (slots.includes('id') && !idHeader) throw configError(`${name}: signedContent uses {id} but no idHeader is set`)
  const tolerance = timestampHeader ? resolveTolerance(name, options) : undefined
  if (!timestampHeader && options.tolerance !== undefined)
    throw configError(`${name}: tolerance needs a timestampHeader`)
  const backend = resolveBackend(options.crypto)
  const decode = encoding === 'hex' ? decodeHex : (text: string) => decodeBase64(text)
  const encode = encoding === 'hex' ? encodeHex : (bytes: Uint8Array) => encodeBase64(bytes)

  function pieces(body: Uint8Array | string, timestamp: string | undefined, id: string | undefined): Piece[] {
    return template.map((part) =>
      'text' in part ? part.text : part.slot === 'body' ? body : part.slot === 'timestamp' ? timestamp! : id!,
    )
  }

  return {
    name,
    tolerance,
    sensitiveHeaders: [signatureHeader],
    verify(request: ProviderRequest) {
      const header = requireSignatureHeader(request, signatureHeader)
      const entries = separator === undefined ? [header] : header.split(separator).filter((entry) => entry !== '')
      if (entries.length > MAX_SIGNATURE_ENTRIES)
        throw new HookguardError('signature.malformed', { reason: 'too many signatures' })
      const received: Uint8Array[] = []
      for (const entry of entries) {
        if (!entry.startsWith(prefix))
          throw new HookguardError('signature.malformed', { reason: `${signatureHeader} lacks the expected prefix` })
        const bytes = decode(entry.slice(prefix.length))
        if (!bytes) throw new HookguardError('signature.malformed', { reason: `${signatureHeader} is not ${encoding}` })
        received.push(bytes)
      }
      let timestampText: string | undefined
      let timestamp: number | undefined
      if (timestampHeader) {
        timestampText = readHeader(request, timestampHeader)
        timestamp = parseTimestamp(timestampText, timestampHeader)
        checkTimestamp(timestamp, request.now, tolerance)
      }
      const id = idHeader ? readHeader(request, idHeader) : undefined
      if (slots.includes('id') && !id) throw new HookguardError('id.missing', { reason: `${idHeader} is missing` })
      const verification = {
        timestamp,
        id: id || undefined,
        type: (typeHeader && readHeader(request, typeHeader)) || undefined,
      }
      return requireMatch(
        matchHmac(backend, algorithm, keys, pieces(request.body, timestampText, id), received),
        verification,
      )
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request, verification) {
      const record = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {}
      const fieldId = options.idField !== undefined ? record[options.idField] : undefined
      let id =
        verification.id ?? (typeof fieldId === 'string' || typeof fieldId === 'number' ? String(fieldId) : undefined)
      if (id === undefined && (idHeader || options.idField))
        throw new HookguardError('id.missing', { reason: 'event id not found' })
      // Without a configured id, the body hash is the id: exact resends dedupe, edited ones do not.
      id ??= await bodyHashId(backend, request.body)
      const fieldType = options.typeField !== undefined ? record[options.typeField] : undefined
      return { id, type: verification.type ?? (typeof fieldType === 'string' ? fieldType : undefined) }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = timestampHeader ? String(signingTimestamp(sign)) : undefined
      const id = sign.id ?? (idHeader ? crypto.randomUUID() : undefined)
      const mac = await backend.hmac(algorithm, keys[0]!, pieces(sign.body, timestamp, id))
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...sign.headers,
        [signatureHeader]: prefix + encode(mac),
      }
      if (timestampHeader) headers[timestampHeader] = timestamp!
      if (idHeader && id) headers[idHeader] = id
      return { headers, body: sign.body }
    },
  }
}
