/**
 * `hookguard/bullmq`: a durable, shared queue on BullMQ and Redis, with the
 * worker in the receiving process or in a process of its own. `bullmq` (and
 * `ioredis`, unless you pass a node-redis client) are optional peer
 * dependencies, needed only by this entry.
 *
 * @example
 * ```ts
 * import { bullmqQueue, bullmqWorker } from 'hookguard/bullmq'
 *
 * // receiver process
 * const queue = bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 }, worker: false })
 * // worker process
 * const worker = bullmqWorker({ connection: { host: '127.0.0.1', port: 6379 }, handler })
 * ```
 *
 * @module
 */
export {
  bullmqQueue,
  bullmqWorker,
  jobIdForKey,
  keyForJobId,
  type BullmqConnectionOptions,
  type BullmqQueue,
  type BullmqQueueOptions,
  type BullmqWorker,
  type BullmqWorkerOptions,
  type BullmqWorkerSettings,
  type KeepJobs,
} from './queues/bullmq/index.js'
export type { DeadLetter, QueueStats, WorkerHooks } from './types/index.js'
