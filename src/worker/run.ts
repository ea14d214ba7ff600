/**
 * The worker side of the pipeline, shared by a receiver that runs its own
 * handler and by a separate worker process (`createWorker`): route by type,
 * apply the ordering guard, run the handler, and report every run to the
 * archive, the metrics and the tracer. When an event is dead-lettered its
 * dedupe key is forgotten, so the provider's own re-send reaches the fixed
 * handler instead of being answered as a duplicate.
 *
 * @module
 */
import { isInProcess } from '../internal/in-process.js'
import { callHook, errorText } from '../internal/log.js'
import { warnServerlessQueueOnce } from '../internal/serverless.js'
import type {
  DedupeStore,
  DeliveryProgress,
  DeliveryState,
  HandlerResult,
  Logger,
  WebhookEvent,
  WebhookHandler,
  WebhookMetrics,
  WebhookQueue,
  WebhookTracing,
  WorkerHooks,
  HandleSpan,
} from '../types/index.js'
import type { OrderingGuard } from './ordering.js'
import type { Routes } from './routes.js'

/** A span per handler run (OpenTelemetry's `hookguard.handle`, linked to the request). */
export type WorkerTracer = Pick<WebhookTracing, 'startHandle'>

/** Where worker progress goes in the archive. */
export interface ProgressSink {
  progress(update: DeliveryProgress): void
}

export interface WorkerParts {
  queue: WebhookQueue
  /** One handler for every event, or `routes` by type. */
  handler?: WebhookHandler
  routes?: Routes
  store?: DedupeStore
  archive?: ProgressSink
  metrics?: WebhookMetrics
  tracer?: WorkerTracer
  guard?: OrderingGuard
  logger: Logger
  now: () => number
}

type Skipped = 'stale' | 'ignored'

function progressOf(
  event: WebhookEvent,
  state: DeliveryState,
  at: number,
  error?: unknown,
): DeliveryProgress | undefined {
  if (event.deliveryId === undefined) return undefined
  const update: DeliveryProgress = { deliveryId: event.deliveryId, state, attempts: event.attempt, at }
  if (error !== undefined) update.lastError = errorText(error)
  return update
}

/**
 * The function the queue runs for each event. Not an async function: with
 * no ordering guard, tracer or metrics it returns what the handler returns,
 * so a synchronous handler settles without a promise and an async one
 * without a second promise wrapped around its own. Every queue awaits the
 * result inside a try, which catches a synchronous throw too.
 */
function runner(parts: WorkerParts, skipped: Map<string, Skipped>): WebhookHandler {
  const inProcess = isInProcess(parts.queue)
  const observed = parts.guard !== undefined || parts.tracer !== undefined || parts.metrics !== undefined
  return function runWebhookHandler(event) {
    const handler = parts.routes ? parts.routes.find(event.type) : parts.handler
    if (!handler) return void skipped.set(event.key, 'ignored')
    // Work left running after the response is frozen or killed on serverless platforms: say so, once.
    if (inProcess) warnServerlessQueueOnce(parts.logger, parts.queue)
    return observed ? runObserved(parts, skipped, handler, event) : handler(event)
  }
}

/** A run with the ordering guard, a span or metrics around the handler. */
async function runObserved(
  parts: WorkerParts,
  skipped: Map<string, Skipped>,
  handler: WebhookHandler,
  event: WebhookEvent,
): Promise<void> {
  parts.metrics?.queueLag(event, Math.max(0, parts.now() - event.receivedAt) / 1000)
  if (parts.guard && !(await parts.guard.admit(event))) return void skipped.set(event.key, 'stale')
  let span: HandleSpan | undefined
  try {
    span = parts.tracer?.startHandle(event)
  } catch {
    // A broken tracer must not fail the handler.
  }
  const started = parts.metrics ? performance.now() : 0
  try {
    await (span?.run ? span.run(() => handler(event)) : handler(event))
    span?.end()
  } catch (error) {
    span?.end(error)
    throw error
  } finally {
    parts.metrics?.handlerDuration(event, (performance.now() - started) / 1000)
  }
}

function report(parts: WorkerParts, event: WebhookEvent, state: DeliveryState, error?: unknown): void {
  // Checked first: without an archive, no progress object is built for every event.
  if (!parts.archive) return
  const update = progressOf(event, state, parts.now(), error)
  if (update) callHook(() => parts.archive!.progress(update))
}

function countRun(parts: WorkerParts, event: WebhookEvent, result: HandlerResult): void {
  if (parts.metrics) callHook(() => parts.metrics!.handlerRun(event, result))
}

function hooks(parts: WorkerParts, skipped: Map<string, Skipped>): WorkerHooks {
  return {
    onSuccess(event) {
      // Most runs were not skipped: no lookup in an empty map for them.
      const skip = skipped.size === 0 ? undefined : skipped.get(event.key)
      if (skip !== undefined) skipped.delete(event.key)
      report(parts, event, skip ?? 'handled')
      countRun(parts, event, skip ?? 'success')
    },
    onRetry(event, error) {
      report(parts, event, 'retrying', error)
      countRun(parts, event, 'retry')
    },
    onDeadLetter(event, error) {
      report(parts, event, 'dead', error)
      countRun(parts, event, 'dead')
      parts.logger.error({ key: event.key, provider: event.provider, attempts: event.attempt }, 'event dead-lettered')
      void forget(parts, event)
    },
  }
}

/** Re-admit the key of a dead-lettered event, so the provider's re-send is accepted again. */
async function forget(parts: WorkerParts, event: WebhookEvent): Promise<void> {
  if (!parts.store) return
  if (typeof parts.store.forget !== 'function') {
    parts.logger.warn(
      { key: event.key },
      "the store has no forget(): a re-send of this dead-lettered event is a duplicate until the key's retention ends",
    )
    return
  }
  try {
    await parts.store.forget(event.key)
  } catch (error) {
    parts.logger.error({ key: event.key, error: errorText(error) }, 'could not re-admit a dead-lettered key')
  }
}

/**
 * Start the queue's worker with hookguard's handler runner and hooks. A queue
 * that refuses at once (a producer-only BullMQ queue) throws here, at
 * construction; a worker that fails while starting rejects the promise.
 */
export function startWorker(parts: WorkerParts): Promise<void> {
  const skipped = new Map<string, Skipped>()
  return Promise.resolve(parts.queue.process!(runner(parts, skipped), hooks(parts, skipped)))
}
