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
 * @module
 */
import { configError } from '../errors.js'
import { errorText, resolveLogger } from '../internal/log.js'
import type { DeliveryArchive, DeliveryProgress, DeliveryRecord, Logger } from '../types/index.js'
import { applyPolicy, markShaped } from './internal/policy.js'
import { checkProgress, checkRecord } from './internal/record.js'
import { isReported } from './internal/reported.js'

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

type Item = { record: DeliveryRecord; update?: undefined } | { update: DeliveryProgress; record?: undefined }

const WHERE = 'createArchiveRecorder'
const LOG_INTERVAL_MS = 60_000

function option(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw configError(`${WHERE}: ${name} must be an integer >= ${min} (got ${String(value)})`)
  return value
}

/** Logs a kind of trouble at most once per interval, with the count since the last line. */
function rateLimited(log: (fields: Record<string, unknown>) => void): { note(n: number, fields?: Record<string, unknown>): void; tail(): void } {
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

const later: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0)

function checkArchive(archive: unknown): DeliveryArchive {
  const a = archive as Partial<DeliveryArchive> | null
  if (!a || typeof a.write !== 'function' || typeof a.progress !== 'function')
    throw configError(`${WHERE}: archive must be a DeliveryArchive (memoryArchive(), sqliteArchive(), postgresArchive() …)`)
  const policy = a.policy
  if (!policy || !Number.isSafeInteger(policy.maxBodyBytes) || policy.maxBodyBytes < 0 || typeof policy.rejectedBodies !== 'boolean')
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
  }
  const log = {
    failed: rateLimited((fields) => logger.error(fields, 'delivery archive write failed; these items are not archived')),
    full: rateLimited((fields) => logger.warn(fields, 'delivery archive is falling behind; items dropped (maxPending reached)')),
    invalid: rateLimited((fields) => logger.error(fields, 'invalid item not archived (a bug in its caller)')),
  }
  return recorderOn(target, settings, log)
}

interface Settings {
  maxPending: number
  flushIntervalMs: number
  batchSize: number
  closeTimeoutMs: number
}

function recorderOn(
  archive: DeliveryArchive,
  settings: Settings,
  log: Record<'failed' | 'full' | 'invalid', ReturnType<typeof rateLimited>>,
): ArchiveRecorder {
  const policy = archive.policy
  const counts = { written: 0, dropped: 0, failed: 0 }
  const buffer: Item[] = []
  const waiters: Array<{ target: number; resolve(): void }> = []
  /** Items ever buffered / taken out of the buffer / done with (written, failed or dropped after buffering). */
  let enqueued = 0
  let taken = 0
  let settled = 0
  let flushTarget = 0
  let inFlight = 0
  let running = false
  let scheduled = false
  let closed = false
  let closing: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  function accept(make: () => Item): void {
    if (closed) {
      counts.dropped++
      return
    }
    if (buffer.length + inFlight >= settings.maxPending) {
      counts.dropped++
      log.full.note(1, { maxPending: settings.maxPending })
      return
    }
    try {
      buffer.push(make())
    } catch (error) {
      counts.dropped++
      log.invalid.note(1, { error: errorText(error) })
      return
    }
    enqueued++
    if (buffer.length >= settings.batchSize) kick()
    else arm()
  }

  function arm(): void {
    if (timer || closed) return
    timer = setTimeout(() => {
      timer = undefined
      flushTarget = enqueued
      kick()
    }, settings.flushIntervalMs)
    ;(timer as { unref?: () => void }).unref?.()
  }

  /** Drains on a later turn of the event loop: a synchronous archive never runs inside record(). */
  function kick(): void {
    if (running || scheduled) return
    scheduled = true
    later(() => {
      scheduled = false
      void drain()
    })
  }

  async function drain(): Promise<void> {
    running = true
    try {
      while (buffer.length >= settings.batchSize || (buffer.length > 0 && taken < flushTarget)) {
        const batch = buffer.splice(0, settings.batchSize)
        taken += batch.length
        inFlight = batch.length
        await send(batch)
        inFlight = 0
        settle(batch.length)
      }
    } finally {
      running = false
      if (buffer.length > 0) arm()
    }
  }

  async function send(batch: Item[]): Promise<void> {
    const records: DeliveryRecord[] = []
    const updates: DeliveryProgress[] = []
    for (const item of batch) {
      if (item.record) records.push(item.record)
      else updates.push(item.update!)
    }
    // Records first: a progress update in this batch may be about a record in it.
    if (records.length > 0) await call(() => archive.write(records), records.length)
    if (updates.length > 0) await call(() => archive.progress(updates), updates.length)
  }

  async function call(write: () => Promise<void>, n: number): Promise<void> {
    try {
      await write()
      counts.written += n
    } catch (error) {
      counts.failed += n
      if (!isReported(error)) log.failed.note(n, { error: errorText(error) })
    }
  }

  function settle(n: number): void {
    settled += n
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.target > settled) continue
      waiters[i]!.resolve()
      waiters.splice(i, 1)
    }
  }

  function flush(): Promise<void> {
    const wanted = enqueued
    if (settled >= wanted) return Promise.resolve()
    flushTarget = Math.max(flushTarget, wanted)
    return new Promise<void>((resolve) => {
      waiters.push({ target: wanted, resolve })
      kick()
    })
  }

  async function shutDown(): Promise<void> {
    closed = true
    if (timer) clearTimeout(timer)
    timer = undefined
    let deadline: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), settings.closeTimeoutMs)))
    const gaveUp = await Promise.race([flush().then(() => false), timedOut])
    clearTimeout(deadline)
    if (gaveUp) {
      const left = buffer.splice(0)
      taken += left.length
      counts.dropped += left.length
      settle(left.length)
    }
    log.failed.tail()
    log.full.tail()
    log.invalid.tail()
  }

  return {
    record(record) {
      accept(() => ({ record: markShaped(policy, applyPolicy(policy, checkRecord('archive recorder', record), 'compact')) }))
    },
    progress(update) {
      accept(() => ({ update: checkProgress('archive recorder', update) }))
    },
    flush,
    close: () => (closing ??= shutDown()),
    stats: () => ({ ...counts, pending: buffer.length + inFlight }),
  }
}
