/**
 * `createWorker`: run handlers in a process of their own, against a durable
 * queue that receivers elsewhere fill. Gives the worker what a receiver's
 * own worker gets: routing by type, the ordering guard, archive progress,
 * metrics, and re-admission of dead-lettered keys in the store.
 *
 * @module
 */
import { createArchiveRecorder } from '../archive/recorder.js'
import { configError } from '../errors.js'
import { DEFAULT_RETENTION_MS } from '../internal/defaults.js'
import { resolveLogger } from '../internal/log.js'
import { refuseUnknownOptions } from '../internal/suggest.js'
import type {
  DedupeStore,
  DeliveryArchive,
  Logger,
  WebhookHandler,
  WebhookMetrics,
  WebhookQueue,
  WebhookTracing,
} from '../types/index.js'
import { orderingGuard, type OrderingOptions } from './ordering.js'
import { compileRoutes, type HandlerMap } from './routes.js'
import { startWorker } from './run.js'

export interface WorkerOptions<T = unknown> {
  /** The queue the receivers enqueue to (a durable one: `sqliteQueue`, `bullmqQueue` …). */
  queue: WebhookQueue
  /** Run for every event, at least once, with the queue's retries. Give this or `handlers`. @default none */
  handler?: WebhookHandler<T>
  /** Handlers by event type: `{ 'invoice.paid': fn, 'customer.*': fn, '*': fn }`. @default none */
  handlers?: HandlerMap<T>
  /**
   * The receivers' dedupe store. When an event is dead-lettered its key is
   * forgotten there, so the provider's own re-send is accepted again.
   * @default none (dead-lettered keys stay completed until their retention ends)
   */
  store?: DedupeStore
  /** The receivers' archive: handler progress (attempts, last error, handled/dead) is written to it. @default none */
  archive?: DeliveryArchive
  /** Handler runs, durations and queue lag. @default none */
  metrics?: WebhookMetrics
  /** A span per handler run, linked to the request that enqueued it (`otelTracing()`). @default none */
  tracing?: WebhookTracing
  /** The ordering guard (needs `store` with `advance()`). @default none (off) */
  ordering?: OrderingOptions<T>
  /** How long an entity's newest version is remembered, ms. @default 345600000 (4 days) */
  orderingRetentionMs?: number
  /** Pino-compatible logger, or false. @default console */
  logger?: Logger | false
  /** Clock in ms. @default Date.now */
  now?: () => number
}

export interface Worker {
  /** Resolves once the queue's worker runs. */
  readonly ready: Promise<void>
  /** Stop taking jobs, finish running ones, flush archive progress. */
  close(): Promise<void>
}

const WHERE = 'createWorker'
const NAMES = [
  'queue',
  'handler',
  'handlers',
  'store',
  'archive',
  'metrics',
  'tracing',
  'ordering',
  'orderingRetentionMs',
  'logger',
  'now',
]

/**
 * Run handlers in a process of their own, against the durable queue that
 * receivers elsewhere fill. Bad configuration throws a TypeError here.
 *
 * @example
 * ```ts
 * import { createWorker } from 'hookguard'
 * import { sqliteQueue, sqliteStore } from 'hookguard/sqlite'
 *
 * const worker = createWorker({
 *   queue: sqliteQueue({ path: 'webhooks.db' }),
 *   store: sqliteStore({ path: 'webhooks.db' }),
 *   handlers: { 'invoice.paid': async (event) => console.log(event.id) },
 * })
 * process.on('SIGTERM', () => void worker.close())
 * ```
 */
export function createWorker<T = unknown>(options: WorkerOptions<T>): Worker {
  if (!options || typeof options !== 'object') throw configError(`${WHERE} needs { queue, handler }`)
  refuseUnknownOptions(WHERE, options, NAMES)
  const queue = options.queue
  if (!queue || typeof queue.process !== 'function')
    throw configError(`${WHERE}: queue must be a WebhookQueue with process()`)
  if ((options.handler === undefined) === (options.handlers === undefined))
    throw configError(`${WHERE}: give handler or handlers (one of them)`)
  if (options.handler !== undefined && typeof options.handler !== 'function')
    throw configError(`${WHERE}: handler must be a function`)
  const logger = resolveLogger(WHERE, options.logger)
  const now = options.now ?? Date.now
  const recorder = options.archive ? createArchiveRecorder(options.archive, { logger }) : undefined
  const guard =
    options.ordering === undefined
      ? undefined
      : orderingGuard(
          WHERE,
          options.ordering as OrderingOptions,
          options.store ?? ({} as DedupeStore),
          options.orderingRetentionMs ?? DEFAULT_RETENTION_MS,
          logger,
        )
  const ready = startWorker({
    queue,
    handler: options.handler as WebhookHandler | undefined,
    routes: options.handlers === undefined ? undefined : compileRoutes(WHERE, options.handlers),
    store: options.store,
    archive: recorder,
    metrics: options.metrics,
    tracer: options.tracing,
    guard,
    logger,
    now,
  })
  if (options.metrics && typeof queue.stats === 'function')
    options.metrics.watchQueue(queue as Required<Pick<WebhookQueue, 'stats'>>, { provider: '', receiver: '' })
  let closing: Promise<void> | undefined
  return {
    ready,
    close() {
      closing ??= (async () => {
        await queue.close?.()
        await recorder?.close()
      })()
      return closing
    },
  }
}
