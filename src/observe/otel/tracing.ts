/**
 * `otelTracing`: {@link WebhookTracing} on `@opentelemetry/api`.
 *
 * @module
 */
import type { TracerProvider } from '@opentelemetry/api'
import { configError } from '../../errors.js'
import { refuseUnknownOptions } from '../../internal/suggest.js'
import type { WebhookTracing } from '../../types/index.js'
import { startHandleSpan } from './handle.js'
import { tracerSource } from './providers.js'
import { startReceiveSpan } from './receive.js'

export interface OtelTracingOptions {
  /**
   * Where spans go. Without it the global provider is asked on every
   * delivery (so an SDK registered later is picked up); while none is
   * registered nothing is created at all.
   * @default the global tracer provider (`trace.getTracerProvider()`)
   */
  tracerProvider?: TracerProvider
}

const WHERE = 'otelTracing'

/**
 * Traces on OpenTelemetry: a `hookguard.receive` span per delivery with a
 * child per step (`hookguard.verify`, `.reserve`, `.enqueue`, `.complete`),
 * and a `hookguard.handle` span per handler run, linked to the request's
 * span through trace context carried with the queued event (through every
 * queue, across processes). Costs nothing while no SDK is registered.
 *
 * @example
 * ```ts
 * import { createReceiver, createWorker, stripe } from 'hookguard'
 * import { otelTracing } from 'hookguard/otel'
 *
 * const tracing = otelTracing() // after your SDK setup (NodeSDK, NodeTracerProvider …)
 * const receiver = createReceiver({ provider: stripe({ secret }), queue, tracing })
 * const worker = createWorker({ queue, handler, tracing })
 * ```
 */
export function otelTracing(options: OtelTracingOptions = {}): WebhookTracing {
  if (options === null || typeof options !== 'object') throw configError(`${WHERE}: options must be an object`)
  refuseUnknownOptions(WHERE, options, ['tracerProvider'])
  const explicit = options.tracerProvider
  if (explicit !== undefined && typeof explicit?.getTracer !== 'function')
    throw configError(`${WHERE}: tracerProvider must be an OpenTelemetry TracerProvider (with getTracer)`)
  const tracer = tracerSource(explicit)
  return {
    startReceive(request) {
      const current = tracer()
      return current ? startReceiveSpan(current, request) : undefined
    },
    startHandle(event) {
      const current = tracer()
      return current ? startHandleSpan(current, event) : undefined
    },
  }
}
