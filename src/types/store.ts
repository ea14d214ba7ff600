/**
 * The dedupe store contract. Every built-in store passes the conformance
 * suite of `hookguard/conformance` (`describeStoreConformance`); so must yours.
 *
 * @module
 */

/** Result of {@link DedupeStore.reserve}. */
export type ReserveResult =
  { status: 'reserved'; token: string } | { status: 'duplicate' } | { status: 'in_flight'; retryAfterMs?: number }

/**
 * Dedupe store: a key is first reserved for a short lease, then completed
 * (kept for the retention period) or released (forgotten).
 *
 * Every method must be safe under concurrency across processes when the
 * store claims to be shared.
 */
export interface DedupeStore {
  /**
   * Atomically claim `key` for `leaseMs`. A key that is completed and not yet
   * expired is a `duplicate`; a key reserved by someone else whose lease has
   * not expired is `in_flight`; anything else becomes `reserved` with a fresh
   * owner token.
   */
  reserve(key: string, leaseMs: number): Promise<ReserveResult>
  /**
   * Mark `key` done and keep it for `retentionMs`. Only the owner of the
   * current reservation may complete it: returns false (and changes nothing)
   * when `token` does not own the key any more.
   */
  complete(key: string, token: string, retentionMs: number): Promise<boolean>
  /** Forget the reservation if `token` still owns it. Returns whether it did. */
  release(key: string, token: string): Promise<boolean>
  /**
   * Re-admit a completed key: the next delivery of it is accepted again
   * instead of answered as a duplicate. Called when its event is
   * dead-lettered (or discarded from the dead letters), so the provider's own
   * re-send reaches the fixed handler. A key that is reserved (in flight) is
   * left alone. Returns whether a completed key was removed.
   * Optional for custom stores written before it; without it a dead-lettered
   * event's re-send is a duplicate until the retention ends.
   */
  forget?(key: string): Promise<boolean>
  /**
   * The ordering guard's compare-and-set: record `version` as the newest
   * handled for `entity` unless the recorded one is newer, atomically (two
   * workers racing on one entity must not both win with different versions).
   * Returns true when the event may run (nothing recorded, or `version` is
   * greater than or equal to the recorded one: an equal version runs again),
   * false when it is older (stale). `entity` is a full namespaced key;
   * `version` a finite number. The record is kept for `retentionMs`.
   * Optional for custom stores; the receiver refuses `ordering` without it.
   */
  advance?(entity: string, version: number, retentionMs: number): Promise<boolean>
  /** Release resources the store owns (not clients the user passed in). */
  close?(): Promise<void>
}
