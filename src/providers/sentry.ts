/**
 * Sentry integration-platform webhooks (internal and public integrations):
 * `Sentry-Hook-Signature: <hex>`, HMAC-SHA256 of the raw body keyed by the
 * integration's Client Secret (as text). Sentry signs the exact string it
 * sends (`json.dumps` of the payload), so the raw bytes verify and a
 * re-serialised body does not.
 *
 * - `Sentry-Hook-Timestamp` is sent but not signed (Sentry's
 *   `build_signature` covers the body only), so it proves nothing and no
 *   tolerance applies: `tolerance` is refused.
 * - Id: `Request-ID`, a random UUID per send, not signed. The verified MAC is
 *   the fingerprint: a retry of the same payload is a duplicate, and so is a
 *   captured delivery resent under a fresh `Request-ID`.
 * - Type: `{Sentry-Hook-Resource}.{action}` (`issue.created`,
 *   `installation.deleted`, `event_alert.triggered` …); the resource header
 *   is unsigned, the `action` is in the signed body.
 * - Installation: `installation.created` is an ordinary signed delivery that
 *   carries the grant code for the token exchange; it is queued like any
 *   other event (no challenge to answer).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions, type Verification } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { readHeader, readPrefixedHexSignature, requireIdHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link sentry}. `secret` is the integration's Client Secret (Settings → Developer Settings → your integration). */
export type SentryOptions = UntimedProviderOptions

const SIGNATURE = 'sentry-hook-signature'

/**
 * Sentry integration-platform webhooks.
 *
 * @example
 * ```ts
 * const provider = sentry({ secret: process.env.SENTRY_CLIENT_SECRET! })
 * ```
 */
export function sentry(options: SentryOptions): Provider {
  const name = 'sentry'
  const opened = openProvider(name, options, { untimed: 'Sentry' })
  const scheme = hmacScheme(opened, 'sha256', true)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const received = [readPrefixedHexSignature(request, SIGNATURE, '', 32)]
      return withKeys(opened.keys, request, (keys) => {
        const verified = verifyHmac(scheme, keys, [request.body], received, {} as Verification)
        const identify = (result: Verification): Verification => {
          result.id = requireIdHeader(request, 'request-id')
          result.type = readHeader(request, 'sentry-hook-resource') || undefined
          return result
        }
        return verified instanceof Promise ? verified.then(identify) : identify(verified)
      })
    },
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      const action = stringField(payload, 'action')
      const resource = verification.type
      return { id: verification.id, type: resource && action ? `${resource}.${action}` : (resource ?? action) }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      // No Sentry-Hook-Timestamp: it is unsigned and never read, so a test cannot rely on it.
      return {
        headers: {
          'content-type': 'application/json',
          'sentry-hook-resource': 'issue',
          ...sign.headers,
          'request-id': sign.id ?? crypto.randomUUID().replace(/-/g, ''),
          [SIGNATURE]: encodeHex(mac),
        },
        body: sign.body,
      }
    },
  }
}
