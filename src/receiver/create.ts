/**
 * `createReceiver`: options in, a receiver out. Construction validates
 * everything once; `handle` then runs the pipeline (src/pipeline/) on each
 * request and reports the answer to the instruments (logs, metrics, the
 * archive, `onOutcome`).
 *
 * @module
 */
import { createArchiveRecorder, type ArchiveRecorder } from '../archive/recorder.js'
import { configError, HookguardError, isHookguardError } from '../errors.js'
import { errorText } from '../internal/log.js'
import { begin } from '../pipeline/begin.js'
import type { Instrument, ReceiverConfig } from '../pipeline/config.js'
import type { InlineDeliver } from '../pipeline/deliver.js'
import type { Delivery } from '../pipeline/delivery.js'
import { asHookguardError, DeliveryFailed } from '../pipeline/errors.js'
import { asNormalized } from '../pipeline/read.js'
import { accepted, failure } from '../pipeline/respond.js'
import { run } from '../pipeline/run.js'
import type {
  DeliveryArchive,
  HandleResult,
  PayloadOf,
  Provider,
  WebhookEvent,
  WebhookQueue,
  DedupeStore,
  WebhookRequest,
} from '../types/index.js'
import { startWorker } from '../worker/run.js'
import { archiveInstrument, deliveryRecord } from './instruments/archive.js'
import { metricsInstrument, outcomeInstrument } from './instruments/hooks.js'
import { logInstrument } from './instruments/log.js'
import { tracingInstrument } from './instruments/tracing.js'
import type { ReceiverOptions, ReceiverOptionsFor } from './options.js'
import { replay, type ReplayOptions, type ReplayResult } from './replay.js'
import { isSilent, resolve, type Resolved } from './resolve.js'
import { checkOptionsObject } from './validate.js'

export interface HandleOptions<T = unknown> {
  /**
   * Inline mode: instead of the queue, hand the verified event to this
   * function. The dedupe key is completed when it resolves to anything but
   * `false`, and released when it returns `false` or throws (the error is
   * rethrown to the caller).
   * @default none (the event goes to the receiver's queue)
   */
  deliver?: (event: WebhookEvent<T>) => Promise<unknown> | unknown
}

export interface Receiver<T = unknown> {
  /** The receiver name in dedupe keys (`default` unless set; for a `name` function, `default` until a request names its tenant). */
  readonly name: string
  /** The provider that verifies deliveries (from `options.provider`). */
  readonly provider: Provider
  /** The dedupe store in use: `options.store`, or the default `memoryStore()`. */
  readonly store: DedupeStore
  /** The queue in use: `options.queue`, or the default `memoryQueue()`. */
  readonly queue: WebhookQueue
  /** The delivery archive, when `options.archive` was given. */
  readonly archive: DeliveryArchive | undefined
  /** The body limit adapters apply while reading (`options.maxBodyBytes`, default 1 MiB). */
  readonly maxBodyBytes: number
  /** Run the pipeline on one request. Never rejects for anything a client sends. */
  handle(request: WebhookRequest, options?: HandleOptions<T>): Promise<HandleResult>
  /** Build the response for an error found before `handle` (body too large, read timeout …). */
  reject(error: unknown, request?: { method?: string; url?: string; headers?: WebhookRequest['headers'] }): HandleResult
  /** Write what the archive recorder holds now (records are batched off the response path); for tests and shutdown. */
  flushArchive(): Promise<void>
  /** Run an archived delivery again (needs `archive`). */
  replay(deliveryId: string, options?: ReplayOptions): Promise<ReplayResult>
  /** Stop accepting (new requests get 503), wait for requests in progress, drain the worker. Idempotent. */
  close(): Promise<void>
}

/**
 * What every adapter's `hookguard()` takes: a receiver, or the options of one,
 * typed by their provider so handlers by type get the provider's payloads.
 */
export type ReceiverOrOptions<P extends Provider = Provider, T = PayloadOf<P>> = Receiver<T> | ReceiverOptionsFor<P, T>

const BRAND = Symbol.for('hookguard.receiver')
/** Set by adapters in inline mode: events go to the app's next handler, so no worker is expected. */
export const INLINE_ONLY = Symbol.for('hookguard.inlineOnly')

/**
 * Whether `value` is a receiver made by {@link createReceiver}: a brand check
 * that works across copies of the package (unlike `instanceof`).
 *
 * @example
 * ```ts
 * import { createReceiver, isReceiver, stripe, type Receiver, type ReceiverOptions } from 'hookguard'
 *
 * function toReceiver(value: Receiver | ReceiverOptions): Receiver {
 *   return isReceiver(value) ? value : createReceiver(value)
 * }
 * toReceiver({ provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }) })
 * ```
 */
export function isReceiver(value: unknown): value is Receiver<any> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

function instrumentsOf(
  resolved: Resolved,
  options: ReceiverOptions,
  recorder: ArchiveRecorder | undefined,
): Instrument[] {
  const instruments: Instrument[] = []
  if (resolved.tracing) instruments.push(tracingInstrument(resolved.tracing, resolved.provider.name))
  if (!isSilent(resolved.config.logger)) instruments.push(logInstrument(resolved.config.logger))
  if (options.onOutcome) instruments.push(outcomeInstrument(options.onOutcome))
  if (resolved.metrics) instruments.push(metricsInstrument(resolved.metrics))
  if (recorder) instruments.push(archiveInstrument(recorder, resolved.config.redactor))
  return instruments
}

function startOwnWorker(
  resolved: Resolved,
  options: ReceiverOptions,
  config: ReceiverConfig,
  recorder: ArchiveRecorder | undefined,
): void {
  const { routes, guard, metrics, tracing } = resolved
  const handler = options.handler as ((event: WebhookEvent) => unknown) | undefined
  if (!handler && !routes) {
    if (resolved.defaultQueue && !(options as unknown as Record<symbol, unknown>)[INLINE_ONLY]) {
      config.logger.warn(
        { provider: config.provider.name },
        'no handler: accepted events wait in the in-memory queue and nothing runs them — pass handler, or a durable queue with its own worker',
      )
    }
    return
  }
  const parts = {
    queue: config.queue,
    handler,
    routes,
    store: config.store,
    archive: recorder,
    metrics,
    tracer: tracing,
    guard,
    logger: config.logger,
    now: config.now,
  }
  startWorker(parts).catch((error: unknown) =>
    config.logger.error({ error: String(error) }, 'queue worker failed to start'),
  )
}

/**
 * Create a receiver. Bad configuration throws a TypeError here, not on the first request.
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 *
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event) => console.log(event.type, event.id),
 * })
 * // Any server: the method, the headers and the raw body bytes (or use an adapter, such as 'hookguard/express').
 * export async function onRequest(request: Request): Promise<Response> {
 *   const body = new Uint8Array(await request.arrayBuffer())
 *   const result = await receiver.handle({ method: request.method, url: request.url, headers: request.headers, body })
 *   return new Response(result.body || null, { status: result.status, headers: result.headers })
 * }
 * ```
 */
export function createReceiver<P extends Provider = Provider, T = PayloadOf<P>>(
  options: ReceiverOptionsFor<P, T>,
): Receiver<T> {
  checkOptionsObject(options)
  const resolved = resolve(options as ReceiverOptions)
  const recorder = resolved.archive
    ? createArchiveRecorder(resolved.archive, { logger: resolved.config.logger })
    : undefined
  const instruments = instrumentsOf(resolved, options as ReceiverOptions, recorder)
  const config: ReceiverConfig = {
    ...resolved.config,
    instruments,
    timed: Boolean(options.onOutcome || resolved.metrics || recorder),
    archived: recorder !== undefined,
  }
  if (resolved.metrics && typeof config.queue.stats === 'function') {
    resolved.metrics.watchQueue(config.queue as Required<Pick<WebhookQueue, 'stats'>>, {
      provider: config.provider.name,
      receiver: config.receiverName,
    })
  }
  startOwnWorker(resolved, options as ReceiverOptions, config, recorder)
  return buildReceiver<T>(config, recorder, resolved.archive)
}

function finish(config: ReceiverConfig, delivery: Delivery, result: HandleResult): HandleResult {
  const durationMs = config.timed ? performance.now() - delivery.started : 0
  for (const instrument of config.instruments) {
    try {
      instrument.end(delivery, result, durationMs)
    } catch {
      // Instruments observe; they never change the answer.
    }
  }
  return result
}

/** Requests in progress, so `close()` waits for them; once closing, new requests are refused. */
interface Gate {
  closing: Promise<void> | undefined
  enter(): void
  leave(): void
  drained(): Promise<void>
}

function createGate(): Gate {
  let inProgress = 0
  const idle: Array<() => void> = []
  return {
    closing: undefined,
    enter() {
      inProgress++
    },
    leave() {
      if (--inProgress === 0 && idle.length > 0) for (const resolve of idle.splice(0)) resolve()
    },
    drained() {
      return inProgress === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve))
    },
  }
}

/** The answer to an error thrown out of the pipeline; an inline handler's own error is rethrown to the app. */
function pipelineError(config: ReceiverConfig, delivery: Delivery, error: unknown): HandleResult {
  if (error instanceof DeliveryFailed) {
    finish(
      config,
      delivery,
      failure(config, new HookguardError('handler.failed', { reason: 'inline handler threw' }), delivery),
    )
    throw error.original
  }
  if (!isHookguardError(error)) {
    // Nothing a sender controls should land here: it is a bug, answered like any failed check (never a 2xx,
    // never a 5xx a sender could provoke) and logged loudly.
    config.logger.error(
      { provider: config.provider.name, error: errorText(error) },
      'unexpected error in the receive pipeline',
    )
  }
  return failure(config, asHookguardError(error, 'signature.invalid', 'unexpected error'), delivery)
}

/** `handle` without its promise: the answer itself when every step answered synchronously. */
type HandleNow<T> = (request: WebhookRequest, options?: HandleOptions<T>) => HandleResult | Promise<HandleResult>

/**
 * Where adapters find {@link HandleNow} on a receiver: they await only when
 * the pipeline had to, sparing a promise and an event-loop turn per request.
 */
export const HANDLE_NOW = Symbol.for('hookguard.handleNow')

function handleNowOf<T>(config: ReceiverConfig, gate: Gate): HandleNow<T> {
  return function handleNow(request, handleOptions) {
    const delivery = begin(config, request?.method, request?.url)
    if (gate.closing) {
      const closed = new HookguardError('receiver.closed', { reason: 'receiver is closing' })
      return finish(config, delivery, failure(config, closed))
    }
    gate.enter()
    let result: HandleResult | Promise<HandleResult>
    try {
      result = run(config, delivery, request, handleOptions?.deliver as InlineDeliver | undefined)
    } catch (error) {
      gate.leave()
      return finish(config, delivery, pipelineError(config, delivery, error))
    }
    if (!(result instanceof Promise)) {
      gate.leave()
      return finish(config, delivery, result)
    }
    return result.then(
      (value) => {
        gate.leave()
        return finish(config, delivery, value)
      },
      (error: unknown) => {
        gate.leave()
        return finish(config, delivery, pipelineError(config, delivery, error))
      },
    )
  }
}

function buildReceiver<T>(
  config: ReceiverConfig,
  recorder: ArchiveRecorder | undefined,
  archive: DeliveryArchive | undefined,
): Receiver<T> {
  const gate = createGate()
  const handleNow = handleNowOf<T>(config, gate)
  const receiver: Receiver<T> & { [BRAND]: true; [HANDLE_NOW]: HandleNow<T> } = {
    [BRAND]: true,
    [HANDLE_NOW]: handleNow,
    name: config.receiverName,
    provider: config.provider,
    store: config.store,
    queue: config.queue,
    archive,
    maxBodyBytes: config.maxBodyBytes,
    async handle(request, handleOptions) {
      return handleNow(request, handleOptions)
    },
    reject(error, request = {}) {
      const delivery = begin(config, request.method, request.url)
      if (request.headers) delivery.headers = asNormalized(request.headers)
      return finish(
        config,
        delivery,
        failure(config, asHookguardError(error, 'body.aborted', 'request failed before handling')),
      )
    },
    async flushArchive() {
      await recorder?.flush()
    },
    async replay(deliveryId, options) {
      if (!archive || !recorder) throw configError('replay needs an archive: createReceiver({ archive })')
      const { result, delivery, event } = await replay(config, archive, deliveryId, options)
      const record = deliveryRecord(delivery, accepted(config, delivery, event), 0, config.redactor)
      record.replayOf = result.replayOf
      record.verified = result.verified
      recorder.record(record)
      return result
    },
    close() {
      gate.closing ??= (async () => {
        await gate.drained()
        await config.queue.close?.()
        await recorder?.close()
        await config.store.close?.()
      })()
      return gate.closing
    },
  }
  return receiver
}
