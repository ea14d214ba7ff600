/**
 * Internal: the options of `bullmqQueue` and `bullmqWorker` and their resolution.
 *
 * @module
 */
import type { ConnectionOptions } from 'bullmq'
import { configError } from '../../errors.js'
import type { QueuedEvent, WebhookHandler, WorkerHooks } from '../../types/index.js'
import { integerOption, resolveReporting, type QueueReportingOptions, type Reporting } from '../internal/options.js'
import type { RetryOptions } from '../retry.js'

/** BullMQ's own retention shape: `age` in seconds, `count` in jobs. */
export interface KeepJobs {
  /** Keep finished jobs at most this many seconds. */
  age?: number
  /** Keep at most this many finished jobs (the newest). */
  count?: number
}

/**
 * Options shared by {@link bullmqQueue} and {@link bullmqWorker}. Of the
 * reporting options, `now` only drives hookguard's own timing here (the
 * `onError` throttle): BullMQ timestamps jobs (`failedAt`, retention, retry
 * due times) with its own clock inside Redis scripts.
 */
export interface BullmqConnectionOptions extends QueueReportingOptions {
  /**
   * Required. An ioredis instance (shared by the producer, never closed by
   * hookguard), ioredis options such as `{ host, port }` or `{ url }`
   * (connections created and closed by hookguard), or a node-redis client.
   */
  connection: ConnectionOptions
  /**
   * BullMQ queue name (no `:`). Producer and worker must agree.
   * @default 'hookguard'
   */
  name?: string
  /**
   * Redis key prefix. Producer and worker must agree.
   * @default 'bull' (BullMQ's default)
   */
  prefix?: string
}

/** Worker settings shared by `queue.process()` and {@link bullmqWorker}. */
export interface BullmqWorkerSettings extends WorkerHooks {
  /**
   * Handlers running at once in this process.
   * @default 4
   */
  concurrency?: number
  /**
   * How long a running job stays locked to its worker, ms; renewed every
   * half of it while the handler runs. A job whose worker died is handed to
   * another worker once its lock lapses.
   * @default 30_000
   */
  lockDuration?: number
  /**
   * How often this worker looks for jobs whose worker died, ms.
   * @default 30_000
   */
  stalledInterval?: number
  /**
   * How many times a job may be recovered after its worker died before BullMQ
   * moves it to the failed set (without `onDeadLetter`; BullMQ does that in
   * Redis). Worker crashes do not count as attempts.
   * @default 2
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
   * @default { age: 86_400, count: 100_000 } (24 h, at most 100 000 jobs)
   */
  removeOnComplete?: KeepJobs | false
  /**
   * How long dead-lettered jobs are kept in BullMQ's failed set, where
   * `deadLetters()` lists them and `retryDead()` puts them back.
   * @default false (kept until retried, discarded or re-enqueued)
   */
  removeOnFail?: KeepJobs | false
  /**
   * Read the server's `INFO` once after connecting and warn through `logger`
   * when AOF is off: then an acknowledged enqueue lives only in memory until
   * the next RDB snapshot, and a Redis crash loses accepted events.
   * @default true
   */
  checkPersistence?: boolean
  /**
   * Whether `process(handler)` runs a worker in this process. Set `false` on
   * receivers whose handler runs elsewhere with {@link bullmqWorker}; then
   * passing `handler` to `createReceiver` is a configuration error.
   * @default true
   */
  worker?: boolean
}

export interface BullmqWorkerOptions<T = unknown> extends BullmqConnectionOptions, BullmqWorkerSettings {
  /** Required: run for every queued event, at least once per key. `T` is the payload type you expect (not checked here). */
  handler: WebhookHandler<T>
}

/** What hookguard stores as a BullMQ job's data. */
export interface JobData {
  v: 1
  event: QueuedEvent
  /** The producer's upper bound of one retry delay, ms (the base delay is in the job's backoff options). */
  maxBackoffMs: number
}

export interface ResolvedConnection extends Reporting {
  connection: ConnectionOptions
  name: string
  prefix: string | undefined
}

export interface ResolvedWorkerSettings {
  concurrency: number
  lockDuration: number
  stalledInterval: number
  maxStalledCount: number
}

export function resolveConnection(where: string, options: BullmqConnectionOptions): ResolvedConnection {
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
  // Reconnect loops emit one error per attempt; one line per 10 s is enough to notice.
  return { connection, name, prefix, ...resolveReporting(where, options, 10_000) }
}

export function resolveWorkerSettings(where: string, settings: BullmqWorkerSettings): ResolvedWorkerSettings {
  return {
    concurrency: integerOption(where, 'concurrency', settings.concurrency, 4),
    lockDuration: integerOption(where, 'lockDuration', settings.lockDuration, 30_000),
    stalledInterval: integerOption(where, 'stalledInterval', settings.stalledInterval, 30_000),
    maxStalledCount: integerOption(where, 'maxStalledCount', settings.maxStalledCount, 2),
  }
}

export function keepJobs(where: string, name: string, value: unknown, fallback: KeepJobs | false): KeepJobs | false {
  if (value === undefined) return fallback
  if (value === false) return false
  const keep = value as KeepJobs
  if (!keep || typeof keep !== 'object' || (keep.age === undefined && keep.count === undefined)) {
    throw configError(
      `${where}: ${name} must be false or { age?: seconds, count?: jobs } with at least one of them; true or 0 would forget job ids at once and break dedupe`,
    )
  }
  for (const field of ['age', 'count'] as const) integerOption(where, `${name}.${field}`, keep[field], 1)
  return {
    ...(keep.age !== undefined ? { age: keep.age } : {}),
    ...(keep.count !== undefined ? { count: keep.count } : {}),
  }
}
