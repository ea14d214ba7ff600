/**
 * Test helpers: produce correctly signed deliveries for any provider, to test
 * your own endpoints end to end.
 *
 * @example
 * ```ts
 * import { stripe } from 'hookguard'
 * import { signRequest } from 'hookguard/testing'
 *
 * const provider = stripe({ secret: 'whsec_test_0123456789abcdef' })
 * const { headers, body } = await signRequest(provider, { body: JSON.stringify({ id: 'evt_1', type: 'ping' }) })
 * await request(app).post('/webhooks/stripe').set(headers).send(body)
 * ```
 *
 * @module
 */
import { configError } from './errors.js'
import { SIGN, type Provider, type SignedRequest, type SignOptions } from './types/index.js'

export type { SignedRequest, SignOptions } from './types/index.js'

/**
 * A correctly signed delivery for `provider`, signed with its first secret
 * (or private key). `timestamp` is in seconds and defaults to `now()` (ms,
 * default `Date.now`); `url` is the receiving URL for URL-signing schemes.
 *
 * @example
 * ```ts
 * import { createReceiver, github } from 'hookguard'
 * import { signRequest } from 'hookguard/testing'
 *
 * const provider = github({ secret: 'test-secret-0123456789' })
 * const receiver = createReceiver({ provider })
 * const signed = await signRequest(provider, { body: JSON.stringify({ zen: 'Keep it logically awesome.' }) })
 * const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
 * console.log(result.status) // 200
 * ```
 */
export async function signRequest(provider: Provider, options: SignOptions): Promise<SignedRequest> {
  const sign = provider?.[SIGN]
  if (typeof sign !== 'function')
    throw configError(
      `signRequest: provider ${provider?.name ?? '(unknown)'} cannot sign (no private key or no signing support)`,
    )
  if (
    options === null ||
    typeof options !== 'object' ||
    (typeof options.body !== 'string' && !(options.body instanceof Uint8Array))
  ) {
    throw configError('signRequest: options.body must be a string or bytes')
  }
  return sign(options)
}

/**
 * A fixed clock for tests: returns `ms`, moved with `advance(ms)` or `set(ms)`.
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 * import { fixedClock, signRequest } from 'hookguard/testing'
 *
 * const now = fixedClock(Date.UTC(2024, 0, 1))
 * const provider = stripe({ secret: 'whsec_test_0123456789abcdef' })
 * const receiver = createReceiver({ provider, now })
 * const signed = await signRequest(provider, { body: '{"id":"evt_1","type":"ping"}', now })
 * now.advance(301_000) // past the 300 s tolerance
 * console.log((await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })).status) // 401
 * ```
 */
export function fixedClock(ms: number): (() => number) & { advance(by: number): void; set(to: number): void } {
  let current = ms
  const clock = (() => current) as (() => number) & { advance(by: number): void; set(to: number): void }
  clock.advance = (by) => {
    current += by
  }
  clock.set = (to) => {
    current = to
  }
  return clock
}
