/**
 * The one place every HMAC signature check ends: compute the MAC with each
 * key, compare it in constant time (after a length check) with each received
 * signature, and answer the verification or a 401. Synchronous on the
 * node:crypto path: no promise is created there.
 *
 * @module
 */
import { constantTimeEqual, type CryptoBackend, type HmacAlgorithm, type Piece } from '../../crypto.js'
import type { Verification } from '../../types/index.js'
import { invalidSignature } from './fail.js'

/** A provider's fixed HMAC settings, made once at construction. */
export interface HmacScheme {
  readonly backend: CryptoBackend
  readonly algorithm: HmacAlgorithm
  /**
   * Whether a match sets `Verification.fingerprint` to the verified MAC:
   * for schemes whose event id travels outside the signed content.
   */
  readonly fingerprint: boolean
}

/** `keyIndex * SLOTS + signatureIndex` of a match; signatures per header are capped far below this. */
const SLOTS = 1024

/** The index of the received signature that matched, or -1. */
function matchIn(computed: Uint8Array, received: readonly Uint8Array[]): number {
  for (let i = 0; i < received.length; i++) if (constantTimeEqual(computed, received[i]!)) return i
  return -1
}

async function matchAsync(
  scheme: HmacScheme,
  keys: readonly Uint8Array[],
  pieces: readonly Piece[],
  received: readonly Uint8Array[],
  from: number,
  pending: Promise<Uint8Array>,
): Promise<number> {
  let computed = await pending
  for (let k = from; ;) {
    const at = matchIn(computed, received)
    if (at !== -1) return k * SLOTS + at
    if (++k >= keys.length) return -1
    computed = await scheme.backend.hmac(scheme.algorithm, keys[k]!, pieces)
  }
}

/**
 * Which key matched which received signature, as `keyIndex * 1024 +
 * signatureIndex`, or -1 for none. A plain number on the node:crypto path.
 */
export function hmacMatch(
  scheme: HmacScheme,
  keys: readonly Uint8Array[],
  pieces: readonly Piece[],
  received: readonly Uint8Array[],
): number | Promise<number> {
  if (received.length === 0) return -1
  for (let k = 0; k < keys.length; k++) {
    const computed = scheme.backend.hmac(scheme.algorithm, keys[k]!, pieces)
    if (!(computed instanceof Uint8Array)) return matchAsync(scheme, keys, pieces, received, k, computed)
    const at = matchIn(computed, received)
    if (at !== -1) return k * SLOTS + at
  }
  return -1
}

/** The key of a match from {@link hmacMatch}. */
export function matchedKey(keys: readonly Uint8Array[], match: number): Uint8Array {
  return keys[Math.floor(match / SLOTS)]!
}

/** `verification` when `match` found one (with its fingerprint where the scheme gives one), else a 401. */
export function settle<T extends Verification>(
  scheme: HmacScheme,
  match: number,
  received: readonly Uint8Array[],
  verification: T,
): T {
  if (match === -1) throw invalidSignature()
  if (scheme.fingerprint) verification.fingerprint = received[match % SLOTS]
  return verification
}

/**
 * Checks `received` against the MAC of `pieces` under every key. Returns
 * `verification` (synchronously on node:crypto) or throws 401 signature.invalid.
 */
export function verifyHmac<T extends Verification>(
  scheme: HmacScheme,
  keys: readonly Uint8Array[],
  pieces: readonly Piece[],
  received: readonly Uint8Array[],
  verification: T,
): T | Promise<T> {
  const match = hmacMatch(scheme, keys, pieces, received)
  if (typeof match === 'number') return settle(scheme, match, received, verification)
  return match.then((found) => settle(scheme, found, received, verification))
}
