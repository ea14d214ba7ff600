/**
 * Bitbucket (Cloud, and Data Center with a webhook secret): `X-Hub-Signature:
 * sha256=<hex>`, HMAC-SHA256 of the raw body keyed by the webhook's secret
 * (as text). Unlike GitHub's header of the same name, the digest is SHA-256;
 * the `sha256=` prefix is required and no other algorithm is accepted.
 *
 * - No timestamp is signed: `tolerance` is refused.
 * - Id: `X-Request-UUID` (Cloud) or `X-Request-Id` (Data Center). Neither is
 *   signed, so the verified MAC is the fingerprint: a captured delivery resent
 *   under a fresh request id is still a duplicate, and a retry (same payload)
 *   is one too.
 * - Type: `X-Event-Key` (`repo:push`, `pullrequest:created`, Data Center's
 *   `diagnostics:ping` test …), unsigned.
 * - A webhook saved without a secret sends no signature: every delivery is
 *   then a 401 (there is nothing to verify).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { parseJson } from './kit/body.js'
import { readHeader, readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link bitbucket}. `secret` is the webhook's secret (Repository settings → Webhooks). */
export type BitbucketOptions = UntimedProviderOptions

const SIGNATURE = 'x-hub-signature'
const PREFIX = 'sha256='

/** Cloud's `X-Request-UUID`, else Data Center's `X-Request-Id`; neither is a 400. */
function requestId(request: ProviderRequest): string {
  const id = readHeader(request, 'x-request-uuid') || readHeader(request, 'x-request-id')
  if (!id) throw new HookguardError('id.missing', { reason: 'x-request-uuid (or x-request-id) is missing' })
  return id
}

/**
 * Bitbucket Cloud and Data Center webhooks.
 *
 * @example
 * ```ts
 * const provider = bitbucket({ secret: process.env.BITBUCKET_WEBHOOK_SECRET! })
 * ```
 */
export function bitbucket(options: BitbucketOptions): Provider {
  const name = 'bitbucket'
  // Users type their own secret (or press Generate); below 8 bytes is refused as weak, as for GitHub.
  const opened = openProvider(name, options, { untimed: 'Bitbucket', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', true)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const received = [readPrefixedHexSignature(request, SIGNATURE, PREFIX, 32)]
      // Signature first: an unsigned request learns nothing about its other headers.
      return withKeys(opened.keys, request, (keys) => {
        const verified = verifyHmac(scheme, keys, [request.body], received, {} as Verification)
        const identify = (result: Verification): Verification => {
          result.id = requestId(request)
          result.type = readHeader(request, 'x-event-key') || undefined
          return result
        }
        return verified instanceof Promise ? verified.then(identify) : identify(verified)
      })
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          'x-event-key': 'repo:push',
          ...sign.headers,
          'x-request-uuid': sign.id ?? crypto.randomUUID(),
          [SIGNATURE]: `${PREFIX}${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
