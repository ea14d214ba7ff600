/**
 * Standard Webhooks (https://www.standardwebhooks.com), as sent by Svix and
 * the services built on it. `webhook-*` headers, with `svix-*` as an alias.
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types.js'
import {
  checkTimestamp,
  invalidSignature,
  matchHmac,
  MAX_SIGNATURE_ENTRIES,
  parseJson,
  parseTimestamp,
  readHeader,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signingTimestamp,
  stringField,
  type ProviderOptions,
} from './shared.js'

export interface StandardWebhooksOptions extends ProviderOptions {
  /** Provider name used in dedupe keys and outcomes. Default 'standard-webhooks'. */
  name?: string
}

/** The secret is `whsec_` + base64 of the key bytes (the prefix is optional). */
function decodeSecret(secret: string): Uint8Array {
  const encoded = secret.startsWith('whsec_') ? secret.slice(6) : secret
  const bytes = decodeBase64(encoded)
  if (!bytes) throw new Error('is not whsec_ followed by base64')
  return bytes
}

/** Reads a header under its `webhook-` name or its `svix-` alias; both present must agree. */
function aliasedHeader(request: ProviderRequest, suffix: string): string | undefined {
  const standard = readHeader(request, `webhook-${suffix}`)
  const svix = readHeader(request, `svix-${suffix}`)
  if (standard !== undefined && svix !== undefined && standard !== svix) {
    throw new HookguardError('header.conflict', { reason: `webhook-${suffix} and svix-${suffix} differ` })
  }
  return standard ?? svix
}

const MAX_ID_LENGTH = 1024

/** Standard Webhooks `v1` (HMAC-SHA256). */
export function standardWebhooks(options: StandardWebhooksOptions): Provider {
  const name = options.name ?? 'standard-webhooks'
  const keys = resolveSecrets(name, options.secret, { decode: decodeSecret })
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['webhook-signature', 'svix-signature'],
    async verify(request) {
      const header = aliasedHeader(request, 'signature')
      if (header === undefined || header.trim() === '') throw new HookguardError('signature.missing', { reason: 'webhook-signature is missing' })
      const id = aliasedHeader(request, 'id')
      if (id === undefined || id === '') throw new HookguardError('id.missing', { reason: 'webhook-id is missing' })
      if (id.length > MAX_ID_LENGTH) throw new HookguardError('header.malformed', { reason: 'webhook-id is too long' })
      const timestampText = aliasedHeader(request, 'timestamp')
      const timestamp = parseTimestamp(timestampText, 'webhook-timestamp')
      checkTimestamp(timestamp, request.now, tolerance)

      const entries = header.split(' ').filter((entry) => entry !== '')
      if (entries.length > MAX_SIGNATURE_ENTRIES) throw new HookguardError('signature.malformed', { reason: 'too many signatures' })
      const received: Uint8Array[] = []
      let versioned = 0
      for (const entry of entries) {
        const comma = entry.indexOf(',')
        if (comma <= 0) continue
        versioned++
        // Unknown versions (v1a without a public key, future ones) are skipped, never guessed at.
        if (entry.slice(0, comma) !== 'v1') continue
        const bytes = decodeBase64(entry.slice(comma + 1))
        if (bytes && bytes.length > 0) received.push(bytes)
      }
      if (versioned === 0) throw new HookguardError('signature.malformed', { reason: 'webhook-signature has no version,signature entries' })
      const ok = await matchHmac(backend, 'sha256', keys, [`${id}.${timestampText}.`, request.body], received)
      if (!ok) throw invalidSignature()
      return { id, timestamp }
    },
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      return { id: verification.id, type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const id = sign.id ?? `msg_${Math.random().toString(36).slice(2)}`
      const timestamp = signingTimestamp(sign)
      const mac = await backend.hmac('sha256', keys[0]!, [`${id}.${timestamp}.`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${encodeBase64(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}

/** Throws at construction when `name` is not usable in dedupe keys. */
export function checkProviderName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) throw configError(`provider name must match [a-z0-9][a-z0-9_-]* (got ${JSON.stringify(name)})`)
}
