/**
 * The delivery archive contract: one record per request that reached the
 * receiver, with the raw bytes, and the worker's progress on it.
 *
 * @module
 */
import type { OutcomeKind } from './http.js'

/** What became of an accepted event in the worker. */
export type DeliveryState = 'pending' | 'retrying' | 'handled' | 'dead' | 'discarded' | 'ignored' | 'stale'

/** One request as the receiver saw it. */
export interface DeliveryRecord {
  /** Sortable, unique per request (time first, then randomness): `0192…`. */
  deliveryId: string
  /** ms since the epoch, on the receiver's clock. */
  receivedAt: number
  /** The receiver's `name`. */
  receiver: string
  provider: string
  method: string
  /** Path (and query) of the request URL, without scheme and host. */
  path: string
  /** Lower-case names; signature, token and auth headers redacted. */
  headers: Record<string, string>
  /**
   * The raw body as received, capped at the archive's `maxBodyBytes`.
   * Absent for rejected requests unless the archive keeps them
   * (`rejectedBodies: true`), and in list results.
   */
  body?: Uint8Array
  /**
   * The original values of the signature headers (never secrets or tokens),
   * kept so a replay can verify the archived bytes again. Tools that display
   * records (the CLI, the inspector) never show them.
   */
  sealedHeaders?: Record<string, string>
  /** Size of the whole body in bytes, even when `body` is truncated or absent. */
  bodySize: number
  /** `body` holds only the first `maxBodyBytes` bytes. */
  truncated: boolean
  /** HTTP status answered. */
  status: number
  outcome: OutcomeKind
  /** Error code for rejected and unavailable requests (`signature.invalid` …). */
  code?: string
  /** Why, for rejected and unavailable requests. Never a secret or signature. */
  reason?: string
  /** Time spent in the receiver, ms. */
  durationMs: number
  eventId?: string
  key?: string
  type?: string
  /** Set on a replay: the delivery it re-ran. */
  replayOf?: string
  /** false when a replay skipped verification on purpose; absent otherwise. */
  verified?: boolean
  /** Worker progress, for accepted events. */
  state?: DeliveryState
  /** Handler runs so far. */
  attempts?: number
  /** The last handler error message. */
  lastError?: string
  /** When worker progress last changed, ms. */
  updatedAt?: number
}

/** A record without its body, as `list()` returns it. */
export type DeliverySummary = Omit<DeliveryRecord, 'body'>

/** Worker progress on an archived delivery. */
export interface DeliveryProgress {
  deliveryId: string
  state: DeliveryState
  attempts: number
  lastError?: string
  /** ms since the epoch. */
  at: number
}

/** Filters of {@link DeliveryArchive.list}; every one is optional. */
export interface ArchiveQuery {
  outcome?: OutcomeKind
  provider?: string
  type?: string
  code?: string
  eventId?: string
  /** ms, inclusive. */
  since?: number
  /** ms, exclusive. */
  until?: number
  /** Most items returned. Default 50, at most 1000. */
  limit?: number
  /** From the previous page's `cursor`. */
  cursor?: string
}

export interface ArchivePage {
  /** Newest first. */
  items: DeliverySummary[]
  /** Present when there may be more: pass it to get the next page. */
  cursor?: string
}

/** Counts over a time range: how many arrived, which failed and why. */
export interface ArchiveStats {
  total: number
  byOutcome: Record<string, number>
  byCode: Record<string, number>
  byProvider: Record<string, number>
  byType: Record<string, number>
  /** Worker states of accepted events: handled, dead, pending … */
  byState: Record<string, number>
}

/** What the receiver records and how much of it. Every archive factory takes these. */
export interface ArchivePolicy {
  /** Largest body kept per record, bytes; longer bodies are cut and flagged `truncated`. Default 256 KiB. */
  maxBodyBytes: number
  /**
   * Keep bodies of rejected requests too. Off by default: they are
   * attacker-controlled bytes in your storage.
   */
  rejectedBodies: boolean
  /** How long records are kept, ms; `purge()` deletes older ones. Default 30 days. */
  retentionMs: number
}

/**
 * Where deliveries are archived. The receiver writes in batches, off the
 * response path; reads are for people and tools (CLI, inspector, replay).
 */
export interface DeliveryArchive {
  readonly policy: ArchivePolicy
  /** Store new records. Called with batches; must be idempotent by `deliveryId`. */
  write(records: readonly DeliveryRecord[]): Promise<void>
  /** Apply worker progress (state, attempts, last error) to records by `deliveryId`; unknown ids are ignored. */
  progress(updates: readonly DeliveryProgress[]): Promise<void>
  list(query?: ArchiveQuery): Promise<ArchivePage>
  /** The full record, with its body. */
  get(deliveryId: string): Promise<DeliveryRecord | undefined>
  stats(range?: { since?: number; until?: number }): Promise<ArchiveStats>
  /** Delete records older than the retention. Returns how many went. */
  purge(): Promise<number>
  close?(): Promise<void>
}
