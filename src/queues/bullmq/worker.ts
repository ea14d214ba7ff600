/**
 * Internal: the BullMQ worker that runs hookguard's handler, with the retry
 * policy the producer stored in each job.
 *
 * @module
 */
import { UnrecoverableError, Worker, type BackoffStrategy, type ConnectionOptions, type Job } from 'bullmq'
import { configError } from '../../errors.js'
import { errorText } from '../../internal/log.js'
import type { WebhookEvent, WebhookHandler } from '../../types/index.js'
import type { HookSet } from '../internal/hooks.js'
import { resolveRetry } from '../retry.js'
import type { JobData, ResolvedConnection, ResolvedWorkerSettings } from './options.js'

export const BACKOFF_TYPE = 'hookguard'

export interface BullmqWorker {
  /** The BullMQ worker, for events and inspection. */
  readonly bullmq: Worker
  /** Resolves once the worker is connected. */
  ready(): Promise<void>
  /** Stop taking jobs, wait for running handlers, close the worker's connections. */
  close(): Promise<void>
}

/**
 * Carries a handler's failure through BullMQ, which stores `message` as the
 * job's `failedReason`: that is the dead letter's `error` text, in the same
 * `Name: message` form as the other queues.
 */
class HandlerFailed extends Error {
  constructor(readonly original: unknown) {
    super(errorText(original))
    this.name = 'HandlerFailed'
    if (original instanceof Error && original.stack) this.stack = original.stack
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

/**
 * A worker needs maxRetriesPerRequest: null (BullMQ throws on an ioredis
 * instance without it) and should queue commands while reconnecting, where a
 * producer client is often set to fail fast. Give BullMQ a lazy copy with
 * those settings (it duplicates it again for its own connections) instead of
 * touching the user's client.
 */
function workerConnection(connection: ConnectionOptions): {
  connection: ConnectionOptions
  copy?: { disconnect(): void }
} {
  if (
    !isIoredis(connection) ||
    (connection.options.maxRetriesPerRequest === null && connection.options.enableOfflineQueue !== false)
  )
    return { connection }
  const copy = connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: true })
  return { connection: copy as unknown as ConnectionOptions, copy }
}

/** Delays from the policy stored with the job, remembered per job for `onRetry`. */
function backoffStrategy(where: string, delays: WeakMap<object, number>): BackoffStrategy {
  const fallback = resolveRetry(where, {})
  return (attemptsMade, type, _error, job) => {
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
    if (job) delays.set(job, delay)
    return delay
  }
}

function processor(handler: WebhookHandler, events: WeakMap<Job, WebhookEvent>) {
  return async (job: Job): Promise<void> => {
    const data = job.data as Partial<JobData> | undefined
    if (!data || data.v !== 1 || !data.event || typeof data.event.key !== 'string') {
      // Not a hookguard job (someone else's producer on this queue): retrying cannot help.
      throw new UnrecoverableError('job data is not a hookguard event')
    }
    const event: WebhookEvent = Object.assign({}, data.event, { attempt: job.attemptsMade + 1 })
    events.set(job, event)
    try {
      await handler(event)
    } catch (error) {
      throw new HandlerFailed(error)
    }
  }
}

function report(worker: Worker, hooks: HookSet, events: WeakMap<Job, WebhookEvent>, delays: WeakMap<object, number>) {
  worker.on('completed', (job) => {
    const event = events.get(job)
    if (event) hooks.success(event)
  })
  worker.on('failed', (job, error) => {
    const event = job && events.get(job)
    if (!job || !event) return
    const original = error instanceof HandlerFailed ? error.original : error
    // moveToFailed has already counted this attempt; finishedOn is set only when the job left for the failed set.
    const final = typeof job.finishedOn === 'number' || job.attemptsMade >= (job.opts.attempts ?? 1)
    if (final) hooks.dead(event, original)
    else hooks.retry(event, original, delays.get(job) ?? 0)
  })
}

export function startWorker(
  where: string,
  resolved: ResolvedConnection,
  settings: ResolvedWorkerSettings,
  handler: WebhookHandler,
  hooks: HookSet,
): BullmqWorker {
  if (typeof handler !== 'function') throw configError(`${where}: handler must be a function`)
  const { connection, copy } = workerConnection(resolved.connection)
  const events = new WeakMap<Job, WebhookEvent>()
  const delays = new WeakMap<object, number>()
  let worker: Worker
  try {
    const options = Object.assign(
      { connection },
      resolved.prefix !== undefined ? { prefix: resolved.prefix } : {},
      settings,
      { settings: { backoffStrategy: backoffStrategy(where, delays) } },
    )
    worker = new Worker(resolved.name, processor(handler, events), options)
  } catch (error) {
    copy?.disconnect()
    throw configError(`${where}: BullMQ refused the connection: ${errorText(error)}`)
  }
  worker.on('error', resolved.onError)
  report(worker, hooks, events, delays)
  let closing: Promise<void> | undefined
  return {
    bullmq: worker,
    ready: async () => void (await worker.waitUntilReady()),
    close() {
      closing ??= worker.close().finally(() => copy?.disconnect())
      return closing
    },
  }
}
