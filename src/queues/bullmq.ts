/**
 * A WebhookQueue on BullMQ (Redis). The dedupe key becomes the BullMQ job id,
 * so enqueueing a key that is waiting, running, failed or recently completed
 * is a no-op; the retry policy is stored with each job, so a worker in another
 * process retries it the same way.
 *
 * @module
 */
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq'
import { configError } from '../errors.js'
import type { Logger } from '../receiver.js'
import type { QueuedEvent, WebhookEvent, WebhookHandler, WebhookQueue } from '../types/index.js'
import type { WorkerHooks } from './memory.js'
import { resolveRetry, type RetryOptions } from './retry.js'

/** BullMQ's own retention shape: `age` in seconds, `count` in jobs. */
export interface KeepJobs {
  /** Keep finished jobs at most this many seconds. */
  age?: number
  /** Keep at most this many finished jobs (the newest). */
  count?: number
}

/** Options shared by {@link bullmqQueue} and {@link bullmqWorker}. */
export interface BullmqConnectionOptions {
  /**
   * Required. An ioredis instance (shared by the producer, never closed by
   * hookguard), ioredis options such as `{ host, port }` or `{ url }`
   * (connections created and closed by hookguard), or a node-redis client.
   */
  connection: ConnectionOptions
  /** BullMQ queue name (no `:`). Producer and worker must agree. Default 'hookguard'. */
  name?: string
  /** Redis key prefix. Producer and worker must agree. Default 'bull' (BullMQ's default). */
  prefix?: string
  /** Where connection errors and dead letters without a hook are reported. Default `console`; `false` for silence. */
  logger?: Logger | false
  /** Called with every Redis/BullMQ error of the queue and worker. Default: a warning through `logger`, at most one per 10 s. */
  onError?: (error: Error) => void
}

/** Worker settings shared by `queue.process()` and {@link bullmqWorker}. */
export interface BullmqWorkerSettings extends WorkerHooks {
  /** Handlers running at once in this process. Default 4. */
  concurrency?: number
  /**
   * How long a running job stays locked to its worker, ms; renewed every
   * half of it while the handler runs. A job whose worker died is handed to
   * another worker once its lock lapses. Default 30 000.
   */
  lockDuration?: number
  /** How often this worker looks for jobs whose worker died, ms. Default 30 000. */
  stalledInterval?: number
  /**
   * How many times a job may be recovered after its worker died before BullMQ
   * moves it to the failed set (without `onDeadLetter`; BullMQ does that in
   * Redis). Worker crashes do not count as attempts. Default 2.
   */
  maxStalledCount?: number
}

export interface BullmqQueueOptions extends BullmqConnectionOptions, BullmqWorkerSettings, RetryOptions {
  /**
   * How long completed jobs, and so their ids, are kept. A key can be enqueued
   * again only after its completed job is removed, so this is how long the
   * queue dedupes on its own (the receiver's store dedupes for its
   * `retentionMs`). Removal happens when a later job completes. Must keep
   * something: `true`/`0` would drop the id at once. `false` keeps every job.
   * Default `{ age: 86_400, count: 100_000 }` (24 h, at most 100 000 jobs).
   */
  removeOnComplete?: KeepJobs | false
  /**
   * How long dead-lettered jobs are kept in BullMQ's failed set, where they
   * can be inspected and retried. Default `false`: kept until you remove them.
   */
  removeOnFail?: KeepJobs | false
  /**
   * Read the server's `INFO` once after connecting and warn through `logger`
   * when AOF is off: then an acknowledged enqueue lives only in memory until
   * the next RDB snapshot, and a Redis crash loses accepted events. Default true.
   */
  checkPersistence?: boolean
  /**
   * Whether `process(handler)` runs a worker in this process. Set `false` on
   * receivers whose handler runs elsewhere with {@link bullmqWorker}; then
   * passing `handler` to `createReceiver` is a configuration error. Default true.
   */
  worker?: boolean
}

export interface BullmqWorkerOptions<T = unknown> extends BullmqConnectionOptions, BullmqWorkerSettings {
  /** Required: run for every queued event, at least once per key. `T` is the payload type you expect (not checked here). */
  handler: WebhookHandler<T>
}

export interface BullmqQueue extends WebhookQueue {
  enqueue(event: QueuedEvent): Promise<void>
  /** Start a worker in this process (the receiver calls this when given `handler`). */
  process(handler: WebhookHandler): void
  /** Stop intake, wait for running handlers, close the connections hookguard opened. */
  close(): Promise<void>
  /** The BullMQ queue, for inspection: `queue.bullmq.getFailed()`, `getJob(jobIdForKey(key))` … */
  readonly bullmq: Queue
}

export interface BullmqWorker {
  /** The BullMQ worker, for events and inspection. */
  readonly bullmq: Worker
  /** Resolves once the worker is connected. */
  ready(): Promise<void>
  /** Stop taking jobs, wait for running handlers, close the worker's connections. */
  close(): Promise<void>
}

/** What hookguard stores as a BullMQ job's data. */
interface JobData {
  v: 1
  event: QueuedEvent
  /** The producer's upper bound of one retry delay, ms (the base delay is in the job's backoff options). */
  maxBackoffMs: number
}

const BACKOFF_TYPE = 'hookguard'
const DEFAULT_KEEP_COMPLETED: KeepJobs = { age: 86_400, count: 100_000 }

/**
 * The BullMQ job id for a dedupe key. BullMQ refuses integer ids and ids with
 * `:` (unless in exactly three parts), so `%` and `:` are escaped, and so are
 * lone surrogates, which Redis would otherwise store as U+FFFD and merge.
 * Reversed by {@link keyForJobId}.
 */
export function jobIdForKey(key: string): string {
  let out = 'hg-'
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i)
    if (unit === 0x25) out += '%25'
    else if (unit === 0x3a) out += '%3A'
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < key.length && isLow(key.charCodeAt(i + 1))) {
      out += key[i]! + key[i + 1]!
      i++
    } else if (unit >= 0xd800 && unit <= 0xdfff) out += `%u${unit.toString(16).toUpperCase().padStart(4, '0')}`
    else out += key[i]
  }
  return out
}

function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/** The dedupe key a job id made by {@link jobIdForKey} stands for, or undefined for other ids. */
export function keyForJobId(jobId: string): string | undefined {
  if (!jobId.startsWith('hg-')) return undefined
  return jobId
    .slice(3)
    .replace(/%(25|3A|u[0-9A-F]{4})/g, (_, code: string) =>
      code === '25' ? '%' : code === '3A' ? ':' : String.fromCharCode(parseInt(code.slice(1), 16)),
    )
}

function positiveInteger(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw configError(`${where}: ${name} must be a positive integer (got ${String(value)})`)
  return value
}

function keepJobs(where: string, name: string, value: unknown, fallback: KeepJobs | false): KeepJobs | false {
  if (value === undefined) return fallback
  if (value === false) return false
  const keep = value as KeepJobs
  if (!keep || typeof keep !== 'object' || (keep.age === undefined && keep.count === undefined)) {
    throw configError(
      `${where}: ${name} must be false or { age?: seconds, count?: jobs } with at least one of them; true or 0 would forget job ids at once and break dedupe`,
    )
  }
  for (const field of ['age', 'count'] as const) {
    const n = keep[field]
    if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1))
      throw configError(`${where}: ${name}.${field} must be a positive integer`)
  }
  return {
    ...(keep.age !== undefined ? { age: keep.age } : {}),
    ...(keep.count !== undefined ? { count: keep.count } : {}),
  }
}

interface Resolved {
  connection: ConnectionOptions
  name: string
  prefix: string | undefined
  logger: Logger | undefined
  onError: (error: Error) => void
}

function resolveConnection(where: string, options: BullmqConnectionOptions): Resolved {
  if (!options || typeof options !== 'object')
    throw configError(`${where} needs an options object with at least { connection }`)
  const connection = options.connection
  if (!connection || typeof connection !== 'object') {
    throw configError(
      `${where}: connection is required — pass an ioredis instance or options, e.g. { connection: { host: '127.0.0.1', port: 6379 } }`,
    )
  }
  const name = options.name ?? 'hookguard'
  if (typeof name !== 'string' || name === '' || name.includes(':'))
    throw configError(`${where}: name must be a non-empty string without ':' (got ${JSON.stringify(name)})`)
  const prefix = options.prefix
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === ''))
    throw configError(`${where}: prefix must be a non-empty string`)
  const logger = options.logger === false ? undefined : (options.logger ?? console)
  if (options.onError !== undefined && typeof options.onError !== 'function')
    throw configError(`${where}: onError must be a function`)
  let lastWarned = 0
  const onError =
    options.onError ??
    ((error: Error) => {
      // Reconnect loops emit one error per attempt; one line per 10 s is enough to notice.
      if (!logger || Date.now() - lastWarned < 10_000) return
      lastWarned = Date.now()
      logger.warn(`hookguard/bullmq: ${error.message}`)
    })
  return { connection, name, prefix, logger, onError }
}

function callHook<A extends unknown[]>(hook: ((...args: A) => void) | undefined, ...args: A): void {
  try {
    hook?.(...args)
  } catch {
    // A broken hook must not break the worker.
  }
}

/** Carries a non-Error throw through BullMQ, which reads `err.message` and `err.name`. */
class HandlerThrew extends Error {
  constructor(readonly original: unknown) {
    super(typeof original === 'string' ? original : `handler threw ${original === null ? 'null' : typeof original}`)
    this.name = 'HandlerThrew'
  }
}

function isIoredis(
  value: unknown,
): value is { options: Record<string, unknown>; duplicate(options: object): { disconnect(): void } } {
  const v = value as { defineCommand?: unknown; duplicate?: unknown; options?: unknown; isCluster?: unknown }
  return (
    typeof v.defineCommand === 'function' &&
    typeof v.duplicate === 'function' &&
    typeof v.options === 'object' &&
    v.options !== null &&
    !v.isCluster
  )
}

function startWorker(
  where: string,
  resolved: Resolved,
  settings: BullmqWorkerSettings,
  handler: WebhookHandler,
): BullmqWorker {
  if (typeof handler !== 'function') throw configError(`${where}: handler must be a function`)
  const concurrency = positiveInteger(where, 'concurrency', settings.concurrency, 4)
  const lockDuration = positiveInteger(where, 'lockDuration', settings.lockDuration, 30_000)
  const stalledInterval = positiveInteger(where, 'stalledInterval', settings.stalledInterval, 30_000)
  const maxStalledCount = positiveInteger(where, 'maxStalledCount', settings.maxStalledCount, 2)
  for (const hook of ['onSuccess', 'onRetry', 'onDeadLetter'] as const) {
    if (settings[hook] !== undefined && typeof settings[hook] !== 'function')
      throw configError(`${where}: ${hook} must be a function`)
  }

  // A worker needs maxRetriesPerRequest: null (BullMQ throws on an ioredis
  // instance without it) and should queue commands while reconnecting, where
  // a producer client is often set to fail fast. Give BullMQ a lazy copy with
  // those settings (it duplicates it again for its own connections) instead
  // of touching the user's client.
  let ownCopy: { disconnect(): void } | undefined
  let connection = resolved.connection
  if (
    isIoredis(connection) &&
    (connection.options.maxRetriesPerRequest !== null || connection.options.enableOfflineQueue === false)
  ) {
    ownCopy = connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: true })
    connection = ownCopy as unknown as ConnectionOptions
  }

  const events = new WeakMap<Job, WebhookEvent>()
  const delays = new WeakMap<Job, number>()
  const fallback = resolveRetry(where, {})

  const processor = async (job: Job): Promise<void> => {
    const data = job.data as Partial<JobData> | undefined
    if (!data || data.v !== 1 || !data.event || typeof data.event.key !== 'string') {
      // Not a hookguard job (someone else's producer on this queue): retrying cannot help.
      throw new UnrecoverableError('job data is not a hookguard event')
    }
    const event: WebhookEvent = { ...data.event, attempt: job.attemptsMade + 1 }
    events.set(job, event)
    try {
      await handler(event)
    } catch (error) {
      throw error instanceof Error ? error : new HandlerThrew(error)
    }
  }

  let worker: Worker
  try {
    worker = new Worker(resolved.name, processor, {
      connection,
      ...(resolved.prefix !== undefined ? { prefix: resolved.prefix } : {}),
      concurrency,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      settings: {
        backoffStrategy(attemptsMade, type, _error, job) {
          const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay
          const max = (job?.data as Partial<JobData> | undefined)?.maxBackoffMs
          let delay: number
          try {
            delay =
              type === BACKOFF_TYPE
                ? resolveRetry(where, { backoffMs: base, maxBackoffMs: max }).delay(attemptsMade)
                : fallback.delay(attemptsMade)
          } catch {
            delay = fallback.delay(attemptsMade)
          }
          if (job) delays.set(job as Job, delay)
          return delay
        },
      },
    })
  } catch (error) {
    ownCopy?.disconnect()
    throw configError(
      `${where}: BullMQ refused the connection: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  worker.on('error', resolved.onError)
  worker.on('completed', (job) => {
    const event = events.get(job)
    if (event) callHook(settings.onSuccess, event)
  })
  worker.on('failed', (job, error) => {
    if (!job) return
    const event = events.get(job)
    if (!event) return
    const original = error instanceof HandlerThrew ? error.original : error
    // moveToFailed has already counted this attempt; finishedOn is set only when the job left for the failed set.
    const final = typeof job.finishedOn === 'number' || job.attemptsMade >= (job.opts.attempts ?? 1)
    if (final) {
      if (settings.onDeadLetter) callHook(settings.onDeadLetter, event, original)
      else
        resolved.logger?.warn(
          `hookguard/bullmq: ${event.key} failed on attempt ${event.attempt} and was dead-lettered (moved to BullMQ's failed set)`,
        )
    } else {
      callHook(settings.onRetry, event, original, delays.get(job) ?? 0)
    }
  })

  let closing: Promise<void> | undefined
  return {
    bullmq: worker,
    async ready() {
      await worker.waitUntilReady()
    },
    close() {
      closing ??= (async () => {
        try {
          await worker.close()
        } finally {
          ownCopy?.disconnect()
        }
      })()
      return closing
    },
  }
}

/**
 * A queue on BullMQ. `enqueue` resolves once Redis has acknowledged the job
 * (see the README for what that means under each persistence setting).
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 * import { bullmqQueue } from 'hookguard/bullmq'
 *
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   queue: bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 } }),
 *   handler: async (event) => { await fulfil(event.payload) },
 * })
 * ```
 */
export function bullmqQueue(options: BullmqQueueOptions): BullmqQueue {
  const where = 'bullmqQueue'
  const resolved = resolveConnection(where, options)
  const retry = resolveRetry(where, options)
  const removeOnComplete = keepJobs(where, 'removeOnComplete', options.removeOnComplete, DEFAULT_KEEP_COMPLETED)
  const removeOnFail = keepJobs(where, 'removeOnFail', options.removeOnFail, false)
  const runsWorker = options.worker ?? true
  if (typeof runsWorker !== 'boolean') throw configError(`${where}: worker must be a boolean`)
  // Validate worker settings now, not when the receiver first calls process().
  positiveInteger(where, 'concurrency', options.concurrency, 4)
  positiveInteger(where, 'lockDuration', options.lockDuration, 30_000)
  positiveInteger(where, 'stalledInterval', options.stalledInterval, 30_000)
  positiveInteger(where, 'maxStalledCount', options.maxStalledCount, 2)
  const checkPersistence = options.checkPersistence ?? true
  if (typeof checkPersistence !== 'boolean') throw configError(`${where}: checkPersistence must be a boolean`)

  let queue: Queue
  try {
    queue = new Queue(resolved.name, {
      connection: resolved.connection,
      ...(resolved.prefix !== undefined ? { prefix: resolved.prefix } : {}),
    })
  } catch (error) {
    throw configError(
      `${where}: BullMQ refused the connection: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  queue.on('error', resolved.onError)
  if (checkPersistence && resolved.logger) {
    const logger = resolved.logger
    void (async () => {
      const client = await queue.getBackend().client
      const info = await client.info()
      if (/^aof_enabled:0\s*$/m.test(info)) {
        logger.warn(
          'hookguard/bullmq: this Redis runs with appendonly no — an acknowledged enqueue is only in memory until the next RDB snapshot, ' +
            'so a Redis crash or restart can lose events that were answered 2xx. Set appendonly yes (appendfsync everysec or always).',
        )
      }
    })().catch(() => {
      // Best effort: INFO may be disabled on managed Redis; connection errors go to onError.
    })
  }

  // keepJobs() guarantees at least one of age/count, which is BullMQ's KeepJobs.
  const jobOptions: JobsOptions = {
    attempts: retry.attempts,
    backoff: { type: BACKOFF_TYPE, delay: retry.backoffMs },
    removeOnComplete: removeOnComplete as JobsOptions['removeOnComplete'],
    removeOnFail: removeOnFail as JobsOptions['removeOnFail'],
  }
  let worker: BullmqWorker | undefined
  let closed = false
  let closing: Promise<void> | undefined

  return {
    bullmq: queue,
    async enqueue(event) {
      if (closed) throw new Error('bullmqQueue is closed')
      if (!event || typeof event.key !== 'string' || event.key === '')
        throw new TypeError('bullmqQueue: event.key must be a non-empty string')
      const data: JobData = { v: 1, event, maxBackoffMs: retry.maxBackoffMs }
      // A job with this id that is waiting, delayed, active, failed or still
      // kept as completed makes this add a no-op inside Redis.
      await queue.add(event.type ?? event.provider ?? 'event', data, { ...jobOptions, jobId: jobIdForKey(event.key) })
    },
    process(handler) {
      if (!runsWorker) {
        throw configError(
          `${where}({ worker: false }) runs no handlers in this process; start bullmqWorker({ connection, handler }) in your worker process instead`,
        )
      }
      if (closed) throw configError(`${where}: process() called after close()`)
      if (worker) throw configError(`${where}: a handler is already running on this queue`)
      worker = startWorker(where, resolved, options, handler)
    },
    close() {
      closing ??= (async () => {
        closed = true
        try {
          await worker?.close()
        } finally {
          await queue.close()
        }
      })()
      return closing
    },
  }
}

/**
 * A worker-only process: runs `handler` for events that receivers enqueued
 * with {@link bullmqQueue} on the same connection, `name` and `prefix`.
 *
 * @example
 * ```ts
 * import { bullmqWorker } from 'hookguard/bullmq'
 *
 * const worker = bullmqWorker({
 *   connection: { host: '127.0.0.1', port: 6379 },
 *   handler: async (event) => { await fulfil(event.payload) },
 * })
 * process.on('SIGTERM', () => void worker.close())
 * ```
 */
export function bullmqWorker<T = unknown>(options: BullmqWorkerOptions<T>): BullmqWorker {
  const where = 'bullmqWorker'
  const resolved = resolveConnection(where, options)
  return startWorker(where, resolved, options, options.handler as WebhookHandler)
}
