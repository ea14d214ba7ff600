/**
 * Linear: `Linear-Signature`, hex HMAC-SHA256 of the raw body keyed by the
 * webhook's signing secret (as text).
 *
 * Freshness comes from the body's `webhookTimestamp` (milliseconds). It sits
 * inside the signed body, so it is read only after the signature matched,
 * and checked in both directions. The default tolerance is 60 seconds, the
 * window Linear's SDK applies.
 *
 * - Id: the `Linear-Delivery` header (one per delivery, kept on retries).
 * - Type: `{type}.{action}` from the body (`Issue.create`), else the
 *   `Linear-Event` header.
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import {
  checkTimestamp,
  invalidSignature,
  matchHmac,
  parseJson,
  readHeader,
  requireSignatureHeader,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signingTimestamp,
  stringField,
  type ProviderOptions,
} from './shared.js'

/** Options of {@link linear}. `tolerance` defaults to 60 seconds here. */
export type LinearOptions = ProviderOptions

const DEFAULT_LINEAR_TOLERANCE = 60

/**
 * Signing helper: a JSON object body without `webhookTimestamp` gets one from
 * the signing clock, since the freshness check reads it from the body.
 * Bodies that already carry it are signed unchanged.
 */
function withWebhookTimestamp(sign: SignOptions): string | Uint8Array {
  const text = typeof sign.body === 'string' ? sign.body : new TextDecoder().decode(sign.body)
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    return sign.body
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || 'webhookTimestamp' in payload)
    return sign.body
  const ms = sign.timestamp !== undefined ? signingTimestamp(sign) * 1000 : (sign.now ?? Date.now)()
  return JSON.stringify({ ...payload, webhookTimestamp: ms })
}

/**
 * Linear webhooks.
 *
 * @example
 * ```ts
 * const provider = linear({ secret: process.env.LINEAR_WEBHOOK_SECRET! })
 * ```
 */
export function linear(options: LinearOptions): Provider {
  const name = 'linear'
  const keys = resolveSecrets(name, options?.secret)
  const tolerance = resolveTolerance(name, {
    ...options,
    tolerance:
      options.skipTimestampCheck === true ? options.tolerance : (options.tolerance ?? DEFAULT_LINEAR_TOLERANCE),
  })
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['linear-signature'],
    async verify(request) {
      const header = requireSignatureHeader(request, 'linear-signature')
      const signature = decodeHex(header)
      if (!signature || signature.length !== 32)
        throw new HookguardError('signature.malformed', { reason: 'linear-signature is not 64 hex digits' })
      if (!(await matchHmac(backend, 'sha256', keys, [request.body], [signature]))) throw invalidSignature()
      const id = readHeader(request, 'linear-delivery')
      if (id === undefined || id === '')
        throw new HookguardError('id.missing', { reason: 'linear-delivery is missing' })
      const type = readHeader(request, 'linear-event') || undefined
      if (tolerance === undefined) return { id, type }
      const payload = parseJson(request.body)
      const ms =
        typeof payload === 'object' && payload !== null
          ? (payload as Record<string, unknown>).webhookTimestamp
          : undefined
      if (ms === undefined) throw new HookguardError('timestamp.missing', { reason: 'body has no webhookTimestamp' })
      if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
        throw new HookguardError('timestamp.malformed', {
          reason: 'webhookTimestamp is not a whole number of milliseconds',
        })
      }
      checkTimestamp(ms / 1000, request.now, tolerance)
      return { id, type, timestamp: Math.floor(ms / 1000) }
    },
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      const kind = stringField(payload, 'type')
      const action = stringField(payload, 'action')
      const type = kind !== undefined ? (action !== undefined ? `${kind}.${action}` : kind) : verification.type
      return { id: verification.id, type }
    },
    async [SIGN](sign: SignOptions) {
      const body = withWebhookTimestamp(sign)
      const mac = await backend.hmac('sha256', keys[0]!, [body])
      return {
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...sign.headers,
          'linear-delivery': sign.id ?? crypto.randomUUID(),
          'linear-signature': encodeHex(mac),
        },
        body,
      }
    },
  }
}
