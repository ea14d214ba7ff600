/**
 * Internal: `bullmqQueue`, the producer side (and, unless `worker: false`,
 * a worker in the same process).
 *
 * @module
 */
import { Queue, type JobsOptions } from 'bullmq'
import { configError } from '../../errors.js'
import { errorText } from '../../internal/log.js'
import type {
  DeadLetter,
  QueuedEvent,
  QueueStats,
  WebhookHandler,
  WebhookQueue,
  WorkerHooks,
} from '../../types/index.js'
import { checkQueuedEvent } from '../internal/event.js'
import { checkHooks, combineHooks } from '../internal/hooks.js'
import { closedError, deadLetterLimit } from '../internal/options.js'
import { resolveRetry } from '../retry.js'
import { countStates, discardDead, listDead, retryAllDead, retryDead, reviveForEnqueue } from './dead.js'
import { jobIdForKey } from './job-id.js'
import {
  keepJobs,
  resolveConnection,
  resolveWorkerSettings,
  type BullmqQueueOptions,
  type JobData,
  type KeepJobs,
  type ResolvedConnection,
} from './options.js'
import { BACKOFF_TYPE, startWorker, type BullmqWorker } from './worker.js'

export interface BullmqQueue extends WebhookQueue {
  enqueue(event: QueuedEvent): Promise<void>
  /** Start a worker in this process (the receiver calls this when given `handler`); `hooks` fire in addition to the queue's own. */
  process(handler: WebhookHandler, hooks?: WorkerHooks): void
  /** Stop intake, wait for running handlers, close the connections hookguard opened. */
  close(): Promise<void>
  /** Jobs per state across every producer and worker of the queue. */
  stats(): Promise<QueueStats>
  /** The newest hookguard jobs of BullMQ's failed set. Default limit 100. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>
  retryDead(key: string): Promise<boolean>
  retryAllDead(): Promise<number>
  discardDead(key: string): Promise<boolean>
  /** The BullMQ queue, for inspection: `queue.bullmq.getJob(jobIdForKey(key))` … */
  readonly bullmq: Queue
}

const WHERE = 'bullmqQueue'
const DEFAULT_KEEP_COMPLETED: KeepJobs = { age: 86_400, count: 100_000 }

function openQueue(resolved: ResolvedConnection): Queue {
  try {
    return new Queue(resolved.name, {
      connection: resolved.connection,
      ...(resolved.prefix !== undefined ? { prefix: resolved.prefix } : {}),
    })
  } catch (error) {
    throw configError(`${WHERE}: BullMQ refused the connection: ${errorText(error)}`)
  }
}

/** Logs once when the server runs without AOF, where a 2xx lives only in memory until the next snapshot. */
function checkPersistence(queue: Queue, resolved: ResolvedConnection): void {
  void (async () => {
    const client = await queue.getBackend().client
    if (!/^aof_enabled:0\s*$/m.test(await client.info())) return
    resolved.logger.warn(
      { queue: WHERE },
      'this Redis runs with appendonly no — an acknowledged enqueue is only in memory until the next RDB snapshot, ' +
        'so a Redis crash or restart can lose events that were answered 2xx. Set appendonly yes (appendfsync everysec or always).',
    )
  })().catch(() => {
    // Best effort: INFO may be disabled on managed Redis; connection errors go to onError.
  })
}

function jobOptions(options: BullmqQueueOptions): JobsOptions {
  const retry = resolveRetry(WHERE, options)
  // keepJobs() guarantees at least one of age/count, which is BullMQ's KeepJobs.
  const removeOnComplete = keepJobs(WHERE, 'removeOnComplete', options.removeOnComplete, DEFAULT_KEEP_COMPLETED)
  const removeOnFail = keepJobs(WHERE, 'removeOnFail', options.removeOnFail, false)
  return {
    attempts: retry.attempts,
    backoff: { type: BACKOFF_TYPE, delay: retry.backoffMs },
    removeOnComplete: removeOnComplete as JobsOptions['removeOnComplete'],
    removeOnFail: removeOnFail as JobsOptions['removeOnFail'],
  }
}

function checkFlags(options: BullmqQueueOptions): { runsWorker: boolean; checksPersistence: boolean } {
  const runsWorker = options.worker ?? true
  if (typeof runsWorker !== 'boolean') throw configError(`${WHERE}: worker must be a boolean`)
  const checksPersistence = options.checkPersistence ?? true
  if (typeof checksPersistence !== 'boolean') throw configError(`${WHERE}: checkPersistence must be a boolean`)
  return { runsWorker, checksPersistence }
}

/**
 * A queue on BullMQ. `enqueue` resolves once Redis has acknowledged the job
 * (see the README for what that means under each persistence setting). The
 * dedupe key becomes the BullMQ job id, so enqueueing a key that is waiting,
 * running or recently completed is a no-op, and enqueueing a dead key revives
 * it with the new event.
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
  const resolved = resolveConnection(WHERE, options)
  const opts = jobOptions(options)
  const maxBackoffMs = resolveRetry(WHERE, options).maxBackoffMs
  const { runsWorker, checksPersistence } = checkFlags(options)
  // Validate worker settings now, not when the receiver first calls process().
  const settings = resolveWorkerSettings(WHERE, options)
  const ownHooks = checkHooks(WHERE, options)
  const queue = openQueue(resolved)
  queue.on('error', resolved.onError)
  if (checksPersistence) checkPersistence(queue, resolved)
  let worker: BullmqWorker | undefined
  let closed = false
  let closing: Promise<void> | undefined
  const open = (): void => {
    if (closed) throw closedError(WHERE)
  }

  return {
    bullmq: queue,
    async enqueue(input) {
      open()
      const event = checkQueuedEvent(WHERE, input)
      const data: JobData = { v: 1, event, maxBackoffMs }
      const jobId = jobIdForKey(event.key)
      // A waiting, delayed, active or still-kept completed job makes this a no-op; a failed one is revived.
      if (await reviveForEnqueue(queue, jobId, data))
        await queue.add(event.type ?? event.provider ?? 'event', data, Object.assign({}, opts, { jobId }))
    },
    process(handler, hooks) {
      if (!runsWorker) {
        throw configError(
          `${WHERE}({ worker: false }) runs no handlers in this process; start bullmqWorker({ connection, handler }) in your worker process instead`,
        )
      }
      if (closed) throw configError(`${WHERE}: process() called after close()`)
      if (worker) throw configError(`${WHERE}: a handler is already running on this queue`)
      const all = combineHooks(WHERE, resolved.logger, ownHooks, checkHooks(WHERE, hooks))
      worker = startWorker(WHERE, resolved, settings, handler, all)
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
    stats: async () => (open(), countStates(queue)),
    deadLetters: async (options) => (open(), listDead(queue, deadLetterLimit(WHERE, options))),
    retryDead: async (key) => (open(), retryDead(queue, key)),
    retryAllDead: async () => (open(), retryAllDead(queue)),
    discardDead: async (key) => (open(), discardDead(queue, key)),
  }
}
