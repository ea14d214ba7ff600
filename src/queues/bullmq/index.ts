/**
 * A WebhookQueue on BullMQ (Redis), and a worker-only process for it.
 *
 * @module
 */
import type { WebhookHandler } from '../../types/index.js'
import { checkHooks, combineHooks } from '../internal/hooks.js'
import { resolveConnection, resolveWorkerSettings, type BullmqWorkerOptions } from './options.js'
import { startWorker, type BullmqWorker } from './worker.js'

export { bullmqQueue, type BullmqQueue } from './queue.js'
export { jobIdForKey, keyForJobId } from './job-id.js'
export type { BullmqWorker } from './worker.js'
export type {
  BullmqConnectionOptions,
  BullmqQueueOptions,
  BullmqWorkerOptions,
  BullmqWorkerSettings,
  KeepJobs,
} from './options.js'

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
  const settings = resolveWorkerSettings(where, options)
  const hooks = combineHooks(where, resolved.logger, checkHooks(where, options))
  return startWorker(where, resolved, settings, options.handler as WebhookHandler, hooks)
}
