/**
 * Delivery archive in process memory: a bounded ring of the newest records,
 * for development, tests and single-process apps that want `list()` and
 * `stats()` without a database. Lost on restart.
 *
 * @module
 */
import { configError } from '../errors.js'
import type {
  ArchivePage,
  ArchivePolicy,
  ArchiveStats,
  DeliveryArchive,
  DeliveryProgress,
  DeliveryRecord,
  DeliverySummary,
} from '../types/index.js'
import { resolvePolicy, shapeBatch, type ArchivePolicyOptions } from './internal/policy.js'
import {
  comparePositions,
  encodeCursor,
  FILTER_NAMES,
  resolveQuery,
  resolveRange,
  type Position,
  type ResolvedQuery,
  type ResolvedRange,
} from './internal/query.js'
import { checkBatch, checkProgress } from './internal/record.js'
import { countColumns, toStats, type CountRow } from './internal/stats.js'

export type { ArchivePolicyOptions } from './internal/policy.js'

export interface MemoryArchiveOptions extends ArchivePolicyOptions {
  /**
   * Most records kept. Past it, the record received longest ago is evicted,
   * so memory stays bounded (about `max` × (`maxBodyBytes` + 1 KiB) at worst).
   * @default 10000
   */
  max?: number
}

export interface MemoryArchive extends DeliveryArchive {
  /** Records held now. */
  size(): number
  close(): Promise<void>
}

const WHERE = 'memoryArchive'

/** Records sorted by (receivedAt, deliveryId), oldest first, with a movable head so eviction is O(1). */
class SortedRecords {
  private items: DeliveryRecord[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  at(index: number): DeliveryRecord {
    return this.items[this.head + index]!
  }

  /** Index of the first record at or after `position` (`strict`: after it). */
  bound(position: Position, strict: boolean): number {
    let low = 0
    let high = this.length
    while (low < high) {
      const mid = (low + high) >>> 1
      const order = comparePositions(this.at(mid), position)
      if (order < 0 || (strict && order === 0)) low = mid + 1
      else high = mid
    }
    return low
  }

  insert(record: DeliveryRecord): void {
    // Records mostly arrive in time order: look from the end.
    let index = this.items.length
    while (index > this.head && comparePositions(this.items[index - 1]!, record) > 0) index--
    this.items.splice(index, 0, record)
  }

  shift(): DeliveryRecord | undefined {
    if (this.length === 0) return undefined
    const record = this.items[this.head]!
    this.items[this.head++] = undefined as unknown as DeliveryRecord
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return record
  }
}

/** A list item: no body, and no sealed signature headers (only `get()` returns those, for replay). */
function summary(record: DeliveryRecord): DeliverySummary {
  const { body: _body, sealedHeaders: _sealed, ...rest } = record
  return Object.assign(rest, { headers: { ...record.headers } })
}

function copy(record: DeliveryRecord): DeliveryRecord {
  const out: DeliveryRecord = Object.assign({}, record, { headers: { ...record.headers } })
  if (record.body) out.body = record.body.slice()
  if (record.sealedHeaders) out.sealedHeaders = { ...record.sealedHeaders }
  return out
}

function matches(record: DeliveryRecord, query: ResolvedQuery): boolean {
  for (const name of FILTER_NAMES) {
    const wanted = query.filters[name]
    if (wanted !== undefined && record[name] !== wanted) return false
  }
  return true
}

/** A page of `list()`: walks back from the cursor (or `until`) to `since`. */
function listPage(sorted: SortedRecords, query: ResolvedQuery): ArchivePage {
  let index =
    query.until === Infinity ? sorted.length : sorted.bound({ receivedAt: query.until, deliveryId: '' }, false)
  if (query.before) index = Math.min(index, sorted.bound(query.before, false))
  const items: DeliveryRecord[] = []
  let more = false
  for (let i = index - 1; i >= 0; i--) {
    const record = sorted.at(i)
    if (record.receivedAt < query.since) break
    if (!matches(record, query)) continue
    if (items.length === query.limit) {
      more = true
      break
    }
    items.push(record)
  }
  const last = items.at(-1)
  return { items: items.map(summary), ...(more && last ? { cursor: encodeCursor(last) } : {}) }
}

/** stats() by counting the records of the range: the ring is small enough to count. */
function countRange(sorted: SortedRecords, { since, until }: ResolvedRange): ArchiveStats {
  const start = sorted.bound({ receivedAt: since, deliveryId: '' }, false)
  const end = until === Infinity ? sorted.length : sorted.bound({ receivedAt: until, deliveryId: '' }, false)
  const rows: CountRow[] = []
  for (let i = start; i < end; i++) rows.push(Object.assign(countColumns(sorted.at(i)), { n: 1 }))
  return toStats(rows)
}

/**
 * An in-memory delivery archive holding the newest `max` records.
 *
 * @example
 * ```ts
 * import { createReceiver, memoryArchive, stripe } from 'hookguard'
 *
 * const archive = memoryArchive({ max: 5000 })
 * const receiver = createReceiver({ provider: stripe({ secret }), archive })
 * const failures = await archive.list({ outcome: 'rejected' })
 * ```
 */
export function memoryArchive(options: MemoryArchiveOptions = {}): MemoryArchive {
  if (!options || typeof options !== 'object')
    throw configError(`${WHERE} takes an options object: memoryArchive({ max })`)
  const { policy, now } = resolvePolicy(WHERE, options)
  const max = options.max ?? 10_000
  if (!Number.isSafeInteger(max) || max < 1)
    throw configError(`${WHERE}: max must be a positive integer (got ${String(max)})`)
  const byId = new Map<string, DeliveryRecord>()
  const sorted = new SortedRecords()

  function evict(): void {
    const oldest = sorted.shift()
    if (oldest) byId.delete(oldest.deliveryId)
  }

  return {
    policy: policy as ArchivePolicy,
    async write(records) {
      for (const shaped of shapeBatch(`${WHERE}.write`, policy, records, 'copy')) {
        if (byId.has(shaped.deliveryId)) continue
        // Headers copied too: the archive owns every object it keeps.
        const record = Object.assign({}, shaped, { headers: { ...shaped.headers } })
        if (shaped.sealedHeaders) record.sealedHeaders = { ...shaped.sealedHeaders }
        byId.set(record.deliveryId, record)
        sorted.insert(record)
        if (byId.size > max) evict()
      }
    },
    async progress(updates) {
      const checked = checkBatch(`${WHERE}.progress`, updates).map((u) => checkProgress(`${WHERE}.progress`, u))
      for (const update of checked) applyProgress(byId.get(update.deliveryId), update)
    },
    async list(query) {
      return listPage(sorted, resolveQuery(`${WHERE}.list`, query))
    },
    async get(deliveryId) {
      const record = typeof deliveryId === 'string' ? byId.get(deliveryId) : undefined
      return record && copy(record)
    },
    async stats(range): Promise<ArchiveStats> {
      return countRange(sorted, resolveRange(`${WHERE}.stats`, range))
    },
    async purge() {
      const cutoff = now() - policy.retentionMs
      let purged = 0
      while (sorted.length > 0 && sorted.at(0).receivedAt < cutoff) {
        evict()
        purged++
      }
      return purged
    },
    size: () => byId.size,
    async close() {},
  }
}

/** Progress only moves forward: an update older than the record's last one is ignored. */
function applyProgress(record: DeliveryRecord | undefined, update: DeliveryProgress): void {
  if (!record || (record.updatedAt !== undefined && update.at < record.updatedAt)) return
  record.state = update.state
  record.attempts = update.attempts
  if (update.lastError !== undefined) record.lastError = update.lastError
  record.updatedAt = update.at
}
