/**
 * Internal: the archive policy — defaults, validation, and how it shapes a
 * record (body cut to `maxBodyBytes`, rejected bodies dropped). Every archive
 * and the recorder go through here, so they agree byte for byte.
 *
 * @module
 */
import { configError } from '../../errors.js'
import type { ArchivePolicy, DeliveryRecord } from '../../types/index.js'
import { checkBatch, checkRecord } from './record.js'

/** The policy options every archive factory takes. */
export interface ArchivePolicyOptions {
  /**
   * Largest body kept per record, bytes; longer bodies are cut to this size
   * and flagged `truncated` (`bodySize` keeps the full size). 0 keeps no body.
   * @default 262144 (256 KiB)
   */
  maxBodyBytes?: number
  /**
   * Keep the bodies of rejected and unavailable requests too. Off by default:
   * a rejected body is attacker-controlled bytes in your storage.
   * @default false
   */
  rejectedBodies?: boolean
  /**
   * How long records are kept, ms: `purge()` deletes records received longer ago.
   * @default 2592000000 (30 days)
   */
  retentionMs?: number
  /**
   * Clock in ms, for `purge()`; inject one in tests.
   * @default Date.now
   */
  now?: () => number
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024
export const DEFAULT_ARCHIVE_RETENTION_MS = 30 * 24 * 3600 * 1000

/** Outcomes whose body is kept only with `rejectedBodies: true`. */
const REJECTED_OUTCOMES: ReadonlySet<string> = new Set(['rejected', 'unavailable'])

/** The validated policy (frozen) and clock of an archive factory's options. */
export function resolvePolicy(
  where: string,
  options: ArchivePolicyOptions,
): { policy: ArchivePolicy; now: () => number } {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw configError(`${where}: maxBodyBytes must be an integer >= 0 (bytes; got ${String(maxBodyBytes)})`)
  const rejectedBodies = options.rejectedBodies ?? false
  if (typeof rejectedBodies !== 'boolean') throw configError(`${where}: rejectedBodies must be true or false`)
  const retentionMs = options.retentionMs ?? DEFAULT_ARCHIVE_RETENTION_MS
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 1)
    throw configError(`${where}: retentionMs must be a positive integer of ms (got ${String(retentionMs)})`)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError(`${where}: now must be a function returning ms since the epoch`)
  return { policy: Object.freeze({ maxBodyBytes, rejectedBodies, retentionMs }), now }
}

/**
 * How a shaped record holds its body: `copy` — bytes the archive owns (the
 * memory archive keeps them); `compact` — the caller's bytes when kept whole,
 * a copy when cut, so a buffered record never pins a larger buffer (the
 * recorder); `view` — a view, for archives that write the bytes out at once.
 */
export type BodyMode = 'copy' | 'compact' | 'view'

/** Records already checked and shaped under a policy (by the recorder), so archives do not check them twice. */
const SHAPED = new WeakMap<DeliveryRecord, ArchivePolicy>()

/**
 * A checked record (see checkRecord) shaped by the policy, in place: body
 * cut to `maxBodyBytes` or dropped for rejected and unavailable requests
 * unless `rejectedBodies`; `truncated` true exactly when the kept body is
 * shorter than `bodySize`.
 */
export function applyPolicy(policy: ArchivePolicy, record: DeliveryRecord, mode: BodyMode): DeliveryRecord {
  const body = record.body
  if (body !== undefined && (policy.rejectedBodies || !REJECTED_OUTCOMES.has(record.outcome))) {
    const cut = body.length > policy.maxBodyBytes
    const kept = cut ? body.subarray(0, policy.maxBodyBytes) : body
    record.body = mode === 'copy' || (mode === 'compact' && cut) ? new Uint8Array(kept) : kept
    record.truncated = kept.length < record.bodySize
  } else {
    delete record.body
    record.truncated = false
  }
  return record
}

/** Marks a record shaped under `policy`. */
export function markShaped(policy: ArchivePolicy, record: DeliveryRecord): DeliveryRecord {
  SHAPED.set(record, policy)
  return record
}

/** Whether `record` was shaped (by the recorder) under this very policy. */
export function isShaped(policy: ArchivePolicy, record: unknown): record is DeliveryRecord {
  return typeof record === 'object' && record !== null && SHAPED.get(record as DeliveryRecord) === policy
}

/**
 * The records of a write() call, checked and shaped once: records the
 * recorder already shaped under this policy pass as they are (`copy` mode
 * still copies their body).
 * @throws TypeError for the first invalid record, before anything is written.
 */
export function shapeBatch(where: string, policy: ArchivePolicy, records: unknown, mode: BodyMode): DeliveryRecord[] {
  return checkBatch(where, records).map((record) => {
    if (!isShaped(policy, record)) return applyPolicy(policy, checkRecord(where, record), mode)
    if (mode !== 'copy' || record.body === undefined) return record
    return Object.assign({}, record, { body: new Uint8Array(record.body) })
  })
}
