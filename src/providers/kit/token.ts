/**
 * Shared-secret tokens sent as-is in a header (Telegram's secret token,
 * Okta's authorization header, Meta's verify token): compared in constant
 * time without letting the length of the secret show.
 *
 * @module
 */
import { constantTimeEqual, type CryptoBackend } from '../../crypto.js'

const utf8 = new TextEncoder()

/** Whether a received token equals one of the configured ones. */
export type TokenMatcher = (keys: readonly Uint8Array[], token: string) => Promise<boolean>

/**
 * Compares tokens as HMACs under a per-process random key: equal-length
 * digests, so neither the content nor the length of the secret shows in
 * timing. The digests of each key list are computed once.
 */
export function tokenMatcher(backend: CryptoBackend): TokenMatcher {
  const blind = backend.randomBytes(32)
  const digests = new WeakMap<readonly Uint8Array[], Promise<Uint8Array[]>>()
  return async function tokenMatches(keys, token) {
    let expected = digests.get(keys)
    if (!expected) digests.set(keys, (expected = Promise.all(keys.map((key) => backend.hmac('sha256', blind, [key])))))
    const received = await backend.hmac('sha256', blind, [utf8.encode(token)])
    // Every key is compared, so the time taken does not tell which one matched.
    let matched = false
    for (const digest of await expected) if (constantTimeEqual(digest, received)) matched = true
    return matched
  }
}
