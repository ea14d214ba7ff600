/**
 * Stripe: `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>…][,v0=…]` over
 * `t.body`, keyed by the `whsec_…` string as UTF-8 text.
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
  requireMatch,
  MAX_SIGNATURE_ENTRIES,
  parseJson,
  parseTimestamp,
  requireSignatureHeader,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signingTimestamp,
  stringField,
  type ProviderOptions,
} from './shared.js'

export type StripeOptions = ProviderOptions

const KEY_RE = /^[a-z0-9]+$/

/** Stripe webhooks and Connect webhooks. Event id and type come from the body. */
export function stripe(options: StripeOptions): Provider {
  const name = 'stripe'
  const keys = resolveSecrets(name, options.secret)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['stripe-signature'],
    verify(request) {
      const header = requireSignatureHeader(request, 'stripe-signature')
      const pairs = header.split(',')
      if (pairs.length > MAX_SIGNATURE_ENTRIES)
        throw new HookguardError('signature.malformed', { reason: 'too many entries in stripe-signature' })
      let timestampText: string | undefined
      const received: Uint8Array[] = []
      for (const pair of pairs) {
        // key=value with a lower-case alphanumeric key and no second '=' (split by hand: a capturing regex per pair showed in profiles).
        const eq = pair.indexOf('=')
        const key = eq > 0 ? pair.slice(0, eq) : ''
        if ((key !== 't' && key !== 'v1' && !KEY_RE.test(key)) || pair.indexOf('=', eq + 1) !== -1) {
          throw new HookguardError('signature.malformed', {
            reason: 'stripe-signature is not a list of key=value pairs',
          })
        }
        const value = pair.slice(eq + 1)
        if (key === 't') {
          // Two timestamps would let a forger pick which one we check.
          if (timestampText !== undefined)
            throw new HookguardError('signature.malformed', { reason: 'stripe-signature has more than one t' })
          timestampText = value
        } else if (key === 'v1') {
          const bytes = decodeHex(value)
          if (bytes && bytes.length > 0) received.push(bytes)
        }
        // v0 (test-mode legacy) and unknown schemes never count.
      }
      if (timestampText === undefined)
        throw new HookguardError('signature.malformed', { reason: 'stripe-signature has no t' })
      const timestamp = parseTimestamp(timestampText, 'stripe-signature t')
      checkTimestamp(timestamp, request.now, tolerance)
      if (received.length === 0) throw invalidSignature('stripe-signature has no v1 signature')
      return requireMatch(matchHmac(backend, 'sha256', keys, [`${timestampText}.`, request.body], received), {
        timestamp,
      })
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = signingTimestamp(sign)
      const mac = await backend.hmac('sha256', keys[0]!, [`${timestamp}.`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'stripe-signature': `t=${timestamp},v1=${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
