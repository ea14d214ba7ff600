/**
 * Turns validated options into the resolved configuration the pipeline runs
 * on, and the worker parts when this receiver runs its own handler.
 *
 * @module
 */
import { configError } from '../errors.js'
import { HeaderRedactor } from '../internal/headers.js'
import { resolveLogger, silentLogger } from '../internal/log.js'
import { directQueueOf, directStoreOf } from '../internal/in-process.js'
import { isInProcess } from '../pipeline/budget.js'
import type { Instrument, ReceiverConfig } from '../pipeline/config.js'
import { keyPrefix } from '../pipeline/identify.js'
import { memoryQueue } from '../queues/memory.js'
import { memoryStore } from '../stores/memory.js'
import type {
  DedupeStore,
  DeliveryArchive,
  Logger,
  Provider,
  WebhookMetrics,
  WebhookQueue,
  WebhookTracing,
} from '../types/index.js'
import { orderingGuard, type OrderingGuard, type OrderingOptions } from '../worker/ordering.js'
import { compileRoutes, type Routes } from '../worker/routes.js'
import type { ReceiverOptions } from './options.js'
import { checkMethods, checkName, checkProvider, checkSchema, checkTimes, positive } from './validate.js'

const STORE_HINT = 'see the DedupeStore interface'
const QUEUE_HINT = 'see the WebhookQueue interface'
const ARCHIVE_METHODS = ['write', 'progress', 'list', 'get', 'stats', 'purge'] as const
const METRICS_METHODS = ['delivery', 'handlerRun', 'handlerDuration', 'queueLag', 'watchQueue'] as const

export interface Resolved {
  config: Omit<ReceiverConfig, 'instruments' | 'timed' | 'archived'>
  provider: Provider
  routes: Routes | undefined
  guard: OrderingGuard | undefined
  archive?: DeliveryArchive
  metrics?: WebhookMetrics
  tracing?: WebhookTracing
  /** The queue was made here (the default), so nobody else runs its worker. */
  defaultQueue: boolean
}

function resolveComponents(
  options: ReceiverOptions,
  logger: Logger,
): { store: DedupeStore; queue: WebhookQueue; defaultQueue: boolean } {
  const store = options.store ?? memoryStore({ logger })
  checkMethods('store', store, ['reserve', 'complete', 'release'], STORE_HINT)
  const queue = options.queue ?? memoryQueue({ logger })
  checkMethods('queue', queue, ['enqueue'], QUEUE_HINT)
  return { store, queue, defaultQueue: options.queue === undefined }
}

function resolveHandlers(options: ReceiverOptions, queue: WebhookQueue): Routes | undefined {
  if (options.handler !== undefined && options.handlers !== undefined) {
    throw configError('createReceiver: give handler or handlers, not both')
  }
  if (options.handler !== undefined && typeof options.handler !== 'function')
    throw configError('handler must be a function')
  const routes = options.handlers === undefined ? undefined : compileRoutes('createReceiver', options.handlers)
  if ((options.handler || routes) && typeof queue.process !== 'function') {
    throw configError('handler given, but this queue has no process(); run its worker as its docs say')
  }
  if (options.unhandled !== undefined && options.unhandled !== 'ack' && options.unhandled !== 'enqueue') {
    throw configError(`createReceiver: unhandled must be 'ack' or 'enqueue' (got ${String(options.unhandled)})`)
  }
  if (options.unhandled === 'ack' && !routes)
    throw configError("createReceiver: unhandled: 'ack' needs handlers (by type)")
  return routes
}

function resolveOrdering(
  options: ReceiverOptions,
  provider: Provider,
  store: DedupeStore,
  retentionMs: number,
  logger: Logger,
) {
  if (options.ordering === undefined) return undefined
  const ordering = options.ordering === true ? (provider as { ordering?: OrderingOptions }).ordering : options.ordering
  if (!ordering) {
    throw configError(
      `createReceiver: ${provider.name} has no default ordering; pass ordering: { entity(event), version(event) }`,
    )
  }
  return orderingGuard('createReceiver', ordering as OrderingOptions, store, retentionMs, logger)
}

function resolveObservers(options: ReceiverOptions): {
  archive?: DeliveryArchive
  metrics?: WebhookMetrics
  tracing?: WebhookTracing
} {
  if (options.archive !== undefined)
    checkMethods('archive', options.archive, ARCHIVE_METHODS, 'see the DeliveryArchive interface')
  if (options.metrics !== undefined)
    checkMethods('metrics', options.metrics, METRICS_METHODS, 'use prometheusMetrics() or implement WebhookMetrics')
  if (options.onOutcome !== undefined && typeof options.onOutcome !== 'function')
    throw configError('onOutcome must be a function')
  if (options.tracing !== undefined)
    checkMethods(
      'tracing',
      options.tracing,
      ['startReceive', 'startHandle'],
      'use otelTracing() or implement WebhookTracing',
    )
  return { archive: options.archive, metrics: options.metrics, tracing: options.tracing }
}

function resolveBasics(options: ReceiverOptions, provider: Provider) {
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError('createReceiver: now must be a function returning milliseconds')
  const successStatus = options.successStatus ?? 200
  if (![200, 201, 202, 204].includes(successStatus)) throw configError('successStatus must be 200, 201, 202 or 204')
  checkSchema(options.schema)
  if (options.name !== undefined && typeof options.name !== 'string' && typeof options.name !== 'function') {
    throw configError('createReceiver: name must be a string or a function of the request')
  }
  const staticName = checkName(provider, options.name)
  return {
    now,
    successStatus,
    receiverName: staticName ?? 'default',
    nameOf: typeof options.name === 'function' ? options.name : undefined,
    keyPrefix: keyPrefix(provider.name, staticName ?? 'default'),
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, 1024 * 1024),
    retryAfter: String(positive('retryAfterSeconds', options.retryAfterSeconds, 5)),
  }
}

export function resolve(options: ReceiverOptions): Resolved {
  const provider = checkProvider(options.provider)
  const basics = resolveBasics(options, provider)
  const times = checkTimes(options, provider)
  const logger: Logger = resolveLogger('createReceiver', options.logger)
  const { store, queue, defaultQueue } = resolveComponents(options, logger)
  const routes = resolveHandlers(options, queue)
  const guard = resolveOrdering(options, provider, store, times.retentionMs, logger)
  const config = {
    ...basics,
    ...times,
    provider,
    storeBudgetMs: isInProcess(store) ? 0 : times.storeTimeoutMs,
    queueBudgetMs: isInProcess(queue) ? 0 : times.queueTimeoutMs,
    schema: options.schema,
    store,
    queue,
    logger,
    redactor: new HeaderRedactor(new Set(provider.sensitiveHeaders.map((h) => h.toLowerCase()))),
    ackUnhandled: options.unhandled === 'ack' ? routes : undefined,
    intake: typeof queue.atomicIntake === 'function' ? queue.atomicIntake(store) : undefined,
    directStore: directStoreOf(store),
    directQueue: directQueueOf(queue),
  }
  return { config, provider, routes, guard, defaultQueue, ...resolveObservers(options) }
}

/** Whether the logger is the silent one (no point in a log instrument then). */
export function isSilent(logger: Logger): boolean {
  return logger === silentLogger
}

export type { Instrument }
