/**
 * The archive recorder: what the receiver calls on every request. `record()`
 * and `progress()` are synchronous and never throw: they check and shape the
 * item (archive policy applied, body copied and cut), buffer it, and return.
 * Batches go to the archive asynchronously — when `batchSize` items wait, or
 * `flushIntervalMs` after the first one — one batch at a time, so a slow
 * archive holds at most `maxPending` items in memory; past that, items are
 * dropped and counted, never waited for. Failures are counted and logged at
 * most once per minute (with how many since the last line), so a flood of
 * failing batches is one line, not thousands.
 *
 * Order: an archive ignores progress on a record it does not hold yet, and
 * a handler can finish before the receiver records its request, or run in
 * another process with its own recorder. So a progress update goes only
 * after every record recorded before it; and an update about a delivery this
 * recorder has not recorded (lately) waits for that record, or for
 * `progressDelayMs` at most — long enough for another process's recorder to
 * write it. `flush()` and `close()` skip the wait.
 *
 * @module
 */
import { configError } from '../errors.js'
import { errorText, resolveLogger } from '../internal/log.js'
import type { ArchivePolicy, DeliveryArchive, DeliveryProgress, DeliveryRecord, Logger } from '../types/index.js'
import { applyPolicy, markShaped } from './internal/policy.js'
import { checkProgress, checkRecord } from './internal/record.js'
import { isReported } from './internal/reported.js'
import { afterIo } from '../internal/after-io.js'

export interface ArchiveRecorderOptions {
  /** Where failures and drops are reported (rate-limited). `false` for silence. @default the console */
  logger?: Logger | false
  /** Most items (records and progress updates) buffered or being written; past it new items are dropped and counted. @default 10000 */
  maxPending?: number
  /** Longest an item waits before its batch is written, ms. @default 1000 */
  flushIntervalMs?: number
  /** Items per archive call; a full batch is written without waiting for the interval. @default 500 */
  batchSize?: number
  /** How long `close()` keeps flushing before it drops (and counts) what is left, ms. @default 5000 */
  closeTimeoutMs?: number
  /**
   * Longest a progress update waits for the record it is about when this
   * recorder has not recorded it (lately), ms: the record may come next, or
   * from another process's recorder. Keep it above the receivers' `flushIntervalMs`.
   * @default 2000
   */
  progressDelayMs?: number
}

/** Counts of items — a record or a progress update is one item. */
export interface ArchiveRecorderStats {
  /** Accepted by the archive. */
  written: number
  /** Never handed to the archive: buffer full, recorder closed, or an invalid item. */
  dropped: number
  /** Handed to the archive in a call that failed. */
  failed: number
  /** Buffered or being written now. */
  pending: number
}

export interface ArchiveRecorder {
  /** Buffer a record; returns at once and never throws. */
  record(record: DeliveryRecord): void
  /** Buffer worker progress on a record; returns at once and never throws. */
  progress(update: DeliveryProgress): void
  /** Resolves when everything buffered before the call was handed to the archive (written or failed); never rejects. */
  flush(): Promise<void>
  /** Stop accepting items and flush for at most `closeTimeoutMs`. Does not close the archive. Never rejects. */
  close(): Promise<void>
  stats(): ArchiveRecorderStats
}

const WHERE = 'createArchiveRecorder'
const WHERE_ITEM = 'archive recorder'
const LOG_INTERVAL_MS = 60_000

function option(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw configError(`${WHERE}: ${name} must be an integer >= ${min} (got ${String(value)})`)
  return value
}

/** Logs a kind of trouble at most once per interval, with the count since the last line. */
function rateLimited(log: (fields: Record<string, unknown>) => void): {
  note(n: number, fields?: Record<string, unknown>): void
  tail(): void
} {
  let lastAt = -Infinity
  let unlogged = 0
  let lastFields: Record<string, unknown> = {}
  return {
    note(n, fields = {}) {
      unlogged += n
      lastFields = fields
      const at = Date.now()
      if (at - lastAt < LOG_INTERVAL_MS) return
      lastAt = at
      log({ items: unlogged, ...fields })
      unlogged = 0
    },
    tail() {
      if (unlogged > 0) log({ items: unlogged, ...lastFields })
      unlogged = 0
    },
  }
}

function checkArchive(archive: unknown): DeliveryArchive {
  const a = archive as Partial<DeliveryArchive> | null
  if (!a || typeof a.write !== 'function' || typeof a.progress !== 'function')
    throw configError(
      `${WHERE}: archive must be a DeliveryArchive (memoryArchive(), sqliteArchive(), postgresArchive() …)`,
    )
  const policy = a.policy
  if (
    !policy ||
    !Number.isSafeInteger(policy.maxBodyBytes) ||
    policy.maxBodyBytes < 0 ||
    typeof policy.rejectedBodies !== 'boolean'
  )
    throw configError(`${WHERE}: archive.policy must hold maxBodyBytes (integer >= 0) and rejectedBodies (boolean)`)
  return a as DeliveryArchive
}

/**
 * The buffer between the receiver and an archive.
 *
 * @example
 * ```ts
 * const recorder = createArchiveRecorder(sqliteArchive({ path: 'webhooks.db' }), { logger })
 * recorder.record(record) // on every request, after the response is decided
 * recorder.progress({ deliveryId, state: 'handled', attempts: 1, at: Date.now() })
 * await recorder.close()
 * ```
 */
export function createArchiveRecorder(archive: DeliveryArchive, options: ArchiveRecorderOptions = {}): ArchiveRecorder {
  const target = checkArchive(archive)
  if (!options || typeof options !== 'object') throw configError(`${WHERE}: options must be an object`)
  const logger = resolveLogger(WHERE, options.logger)
  const settings = {
    maxPending: option('maxPending', options.maxPending, 10_000, 1),
    flushIntervalMs: option('flushIntervalMs', options.flushIntervalMs, 1000, 1),
    batchSize: option('batchSize', options.batchSize, 500, 1),
    closeTimeoutMs: option('closeTimeoutMs', options.closeTimeoutMs, 5000, 0),
    progressDelayMs: option('progressDelayMs', options.progressDelayMs, 2000, 0),
  }
  const log = {
    failed: rateLimited((fields) =>
      logger.error(fields, 'delivery archive write failed; these items are not archived'),
    ),
    full: rateLimited((fields) =>
      logger.warn(fields, 'delivery archive is falling behind; items dropped (maxPending reached)'),
    ),
    invalid: rateLimited((fields) => logger.error(fields, 'invalid item not archived (a bug in its caller)')),
  }
  const recorder = new Recorder(target, settings, log)
  return {
    record: (record) => recorder.record(record),
    progress: (update) => recorder.progress(update),
    flush: () => recorder.flush(),
    close: () => recorder.close(),
    stats: () => recorder.stats(),
  }
}

interface Settings {
  maxPending: number
  flushIntervalMs: number
  batchSize: number
  closeTimeoutMs: number
  progressDelayMs: number
}

type Logs = Record<'failed' | 'full' | 'invalid', ReturnType<typeof rateLimited>>

/** Items of one kind on their way to the archive, with running counts (items ever accepted, taken, settled). */
class Lane<T> {
  /** `at`: when the item joined the lane (progress: when it stopped waiting for its record). */
  readonly items: Array<{ item: T; at: number }> = []
  enqueued = 0
  taken = 0
  settled = 0
  /** Items before this sequence number are due now (flush, timer). */
  due = 0

  take(n: number): T[] {
    const taken = this.items.splice(0, n)
    this.taken += taken.length
    return taken.map((entry) => entry.item)
  }
}

/** The ids of the last `capacity` records, to tell whether a progress update's record was seen. */
class RecentIds {
  private readonly ids = new Set<string>()
  private readonly ring: Array<string | undefined>
  private next = 0

  constructor(capacity: number) {
    this.ring = new Array<string | undefined>(capacity)
  }

  add(id: string): void {
    const evicted = this.ring[this.next]
    if (evicted !== undefined) this.ids.delete(evicted)
    this.ring[this.next] = id
    this.ids.add(id)
    this.next = (this.next + 1) % this.ring.length
  }

  has(id: string): boolean {
    return this.ids.has(id)
  }
}

/** Progress updates waiting for their record, by delivery id, with their deadlines in arrival order. */
class Held {
  readonly byId = new Map<string, DeliveryProgress[]>()
  // A queue read from `head`: Array#shift moves every element, and under load thousands wait here.
  private deadlines: Array<{ id: string; until: number }> = []
  private head = 0
  size = 0

  add(update: DeliveryProgress, until: number): void {
    const waiting = this.byId.get(update.deliveryId)
    if (waiting) waiting.push(update)
    else this.byId.set(update.deliveryId, [update])
    this.deadlines.push({ id: update.deliveryId, until })
    this.size++
  }

  /** The updates about `id`, no longer held. */
  release(id: string): DeliveryProgress[] {
    const waiting = this.byId.get(id)
    if (!waiting) return []
    this.byId.delete(id)
    this.size -= waiting.length
    return waiting
  }

  /** Ids whose wait ended by `now` (or every id), in arrival order. */
  expired(now: number): string[] {
    const ids: string[] = []
    const deadlines = this.deadlines
    while (this.head < deadlines.length && deadlines[this.head]!.until <= now) ids.push(deadlines[this.head++]!.id)
    if (this.head === deadlines.length || now === Infinity) {
      this.deadlines = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > deadlines.length) {
      this.deadlines = deadlines.slice(this.head)
      this.head = 0
    }
    return ids
  }
}

/** The recorder's state and steps; createArchiveRecorder exposes its public methods. */
class Recorder {
  readonly counts = { written: 0, dropped: 0, failed: 0 }
  private readonly policy: ArchivePolicy
  private readonly records = new Lane<DeliveryRecord>()
  private readonly updates = new Lane<DeliveryProgress>()
  private readonly held = new Held()
  private readonly seen: RecentIds
  private readonly waiters: Array<{ records: number; updates: number; resolve(): void }> = []
  private inFlight = 0
  private running = false
  private scheduled = false
  private closed = false
  private closing: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly archive: DeliveryArchive,
    private readonly settings: Settings,
    private readonly log: Logs,
  ) {
    this.policy = archive.policy
    this.seen = new RecentIds(settings.maxPending)
  }

  record(record: DeliveryRecord): void {
    const shaped = this.accept(() =>
      markShaped(this.policy, applyPolicy(this.policy, checkRecord(WHERE_ITEM, record), 'compact')),
    )
    if (!shaped) return
    this.enter(this.records, shaped)
    this.seen.add(shaped.deliveryId)
    for (const update of this.held.release(shaped.deliveryId)) this.enter(this.updates, update)
  }

  progress(update: DeliveryProgress): void {
    const checked = this.accept(() => checkProgress(WHERE_ITEM, update))
    if (!checked) return
    if (this.seen.has(checked.deliveryId)) this.enter(this.updates, checked)
    else {
      this.held.add(checked, Date.now() + this.settings.progressDelayMs)
      this.arm()
    }
  }

  stats(): ArchiveRecorderStats {
    return Object.assign({}, this.counts, { pending: this.pending() })
  }

  flush(): Promise<void> {
    this.releaseHeld(Infinity)
    const wanted = { records: this.records.enqueued, updates: this.updates.enqueued }
    if (this.records.settled >= wanted.records && this.updates.settled >= wanted.updates) return Promise.resolve()
    this.records.due = Math.max(this.records.due, wanted.records)
    this.updates.due = Math.max(this.updates.due, wanted.updates)
    return new Promise<void>((resolve) => {
      this.waiters.push(Object.assign({}, wanted, { resolve }))
      this.kick()
    })
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutDown())
  }

  private pending(): number {
    return this.records.items.length + this.updates.items.length + this.held.size + this.inFlight
  }

  /** The checked item, or undefined when it is dropped (closed, full, invalid) and counted. */
  private accept<T>(make: () => T): T | undefined {
    if (this.closed) {
      this.counts.dropped++
      return undefined
    }
    if (this.pending() >= this.settings.maxPending) {
      this.counts.dropped++
      this.log.full.note(1, { maxPending: this.settings.maxPending })
      return undefined
    }
    try {
      return make()
    } catch (error) {
      this.counts.dropped++
      this.log.invalid.note(1, { error: errorText(error) })
      return undefined
    }
  }

  private enter<T>(lane: Lane<T>, item: T): void {
    lane.items.push({ item, at: Date.now() })
    lane.enqueued++
    if (lane.items.length >= this.settings.batchSize) this.kick()
    else this.arm()
  }

  /** Moves progress whose wait for its record is over (all of it with `Infinity`) into the lane. */
  private releaseHeld(now: number): void {
    for (const id of this.held.expired(now))
      for (const update of this.held.release(id)) this.enter(this.updates, update)
  }

  private arm(): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.releaseHeld(Date.now())
      this.records.due = this.records.enqueued
      this.updates.due = Math.max(this.updates.due, this.updates.taken + this.readyUpdates(this.updates.items.length))
      this.kick()
    }, this.settings.flushIntervalMs)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /** Drains on a later turn of the event loop: a synchronous archive never runs inside record(). */
  private kick(): void {
    if (this.running || this.scheduled) return
    this.scheduled = true
    afterIo(() => {
      this.scheduled = false
      void this.drain()
    })
  }

  /** How many leading progress updates may be written now: those not ahead of a waiting record recorded before them (at most `limit`). */
  private readyUpdates(limit: number): number {
    const oldestRecord = this.records.items[0]?.at ?? Infinity
    let n = 0
    while (n < limit && n < this.updates.items.length && this.updates.items[n]!.at < oldestRecord) n++
    return n
  }

  /** The next batch: records first; then progress that is due (flush) or ready. */
  private next(): { records?: DeliveryRecord[]; updates?: DeliveryProgress[] } | undefined {
    const { batchSize } = this.settings
    const r = this.records
    if (r.items.length >= batchSize || (r.items.length > 0 && r.taken < r.due)) return { records: r.take(batchSize) }
    const u = this.updates
    const due = Math.min(Math.max(0, u.due - u.taken), u.items.length, batchSize)
    if (due > 0 && r.taken >= r.due) return { updates: u.take(due) }
    const ready = this.readyUpdates(batchSize)
    if (ready === batchSize) return { updates: u.take(ready) }
    return undefined
  }

  private async drain(): Promise<void> {
    this.running = true
    try {
      for (let batch = this.next(); batch; batch = this.next()) {
        if (batch.records) await this.send(this.records, batch.records, () => this.archive.write(batch.records!))
        else await this.send(this.updates, batch.updates!, () => this.archive.progress(batch.updates!))
      }
    } finally {
      this.running = false
      if (this.pending() > 0) this.arm()
    }
  }

  private async send<T>(lane: Lane<T>, items: T[], write: () => Promise<void>): Promise<void> {
    this.inFlight = items.length
    try {
      await write()
      this.counts.written += items.length
    } catch (error) {
      this.counts.failed += items.length
      if (!isReported(error)) this.log.failed.note(items.length, { error: errorText(error) })
    } finally {
      this.inFlight = 0
      lane.settled += items.length
      this.settle()
    }
  }

  private settle(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!
      if (this.records.settled < waiter.records || this.updates.settled < waiter.updates) continue
      waiter.resolve()
      this.waiters.splice(i, 1)
    }
  }

  private async shutDown(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    let deadline: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      deadline = setTimeout(() => resolve(true), this.settings.closeTimeoutMs)
    })
    const gaveUp = await Promise.race([this.flush().then(() => false), timedOut])
    clearTimeout(deadline)
    if (gaveUp) {
      this.releaseHeld(Infinity)
      for (const lane of [this.records, this.updates] as Array<Lane<unknown>>) {
        const left = lane.take(lane.items.length).length
        this.counts.dropped += left
        lane.settled += left
      }
      this.settle()
    }
    this.log.failed.tail()
    this.log.full.tail()
    this.log.invalid.tail()
  }
}
