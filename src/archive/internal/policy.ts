/**
 * Internal: the archive policy — defaults, validation, and how it shapes a
 * record (body cut to `maxBodyBytes`, rejected bodies dropped). Every archive
 * and the recorder go through here, so they agree byte for byte.
 *
 * @module
 */
import { configError } from '../../errors.js'
import type { ArchivePolicy, DeliveryRecord } from '../../types/index.js'

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
export function resolvePolicy(where: string, options: ArchivePolicyOptions): { policy: ArchivePolicy; now: () => number } {
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
 * The body the policy keeps for a record: a copy the archive owns (never a
 * view that would pin the caller's larger buffer), cut to `maxBodyBytes`;
 * undefined for rejected and unavailable requests unless `rejectedBodies`.
 */
export function keptBody(policy: ArchivePolicy, record: DeliveryRecord): Uint8Array | undefined {
  const body = record.body
  if (body === undefined) return undefined
  if (!policy.rejectedBodies && REJECTED_OUTCOMES.has(record.outcome)) return undefined
  return new Uint8Array(body.subarray(0, policy.maxBodyBytes))
}

/** The record as the archive stores it: policy applied, `truncated` true exactly when the kept body is shorter than `bodySize`. */
export function applyPolicy(policy: ArchivePolicy, record: DeliveryRecord): DeliveryRecord {
  const body = keptBody(policy, record)
  const shaped: DeliveryRecord = { ...record, truncated: body !== undefined && body.length < record.bodySize }
  if (body === undefined) delete shaped.body
  else shaped.body = body
  return shaped
}
