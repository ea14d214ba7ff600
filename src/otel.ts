/**
 * `hookguard/otel`: traces and metrics on OpenTelemetry, through
 * `@opentelemetry/api` (an optional peer dependency). Bring your own SDK
 * (NodeSDK, NodeTracerProvider, MeterProvider …); without one registered
 * these cost nothing.
 *
 * Spans: `hookguard.receive` per delivery (an INTERNAL child of the active
 * HTTP server span when `@opentelemetry/instrumentation-http` made one, else
 * a SERVER span), with children `hookguard.verify`, `hookguard.reserve`,
 * `hookguard.enqueue`, `hookguard.complete`; `hookguard.handle` per handler
 * run, linked to the receive span through `traceparent`/`tracestate` carried
 * in `event.meta`.
 *
 * Receive attributes: `hookguard.provider`, `hookguard.receiver`,
 * `hookguard.outcome`, `hookguard.code` (refused deliveries),
 * `hookguard.event.id`, `hookguard.event.type`, `http.request.method`,
 * `http.response.status_code`, `http.request.body.size`, and `error.type` with
 * status ERROR on a 5xx (a 4xx is the sender's error and leaves it UNSET).
 * Handle attributes: `hookguard.provider`, `hookguard.event.id`,
 * `hookguard.event.type`, `hookguard.attempt`, `hookguard.delivery.id`; a
 * throwing handler sets status ERROR, `error.type` and an exception event.
 * No header, signature, secret or body is recorded.
 *
 * Metrics: `hookguard.deliveries` {provider, receiver, outcome, code},
 * `hookguard.receive.duration` (s), `hookguard.handler.runs` {result},
 * `hookguard.handler.duration` (s), `hookguard.queue.depth` (observable
 * gauge), `hookguard.queue.lag` (s); attribute keys carry the `hookguard.`
 * prefix.
 *
 * @example
 * ```ts
 * import { createReceiver, createWorker, stripe } from 'hookguard'
 * import { otelMetrics, otelTracing } from 'hookguard/otel'
 * import { sqliteQueue } from 'hookguard/sqlite'
 *
 * const queue = sqliteQueue({ path: 'webhooks.db' })
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   queue,
 *   tracing: otelTracing(),
 *   metrics: otelMetrics(),
 * })
 * ```
 *
 * @module
 */
export { otelTracing, type OtelTracingOptions } from './observe/otel/tracing.js'
export { otelMetrics, type OtelMetricsOptions } from './observe/otel/metrics.js'
export type { HandleSpan } from './observe/otel/handle.js'
export type { BucketOptions } from './observe/internal/buckets.js'
export type {
  HandlerResult,
  ReceiveSummary,
  ReceiveTrace,
  TraceStep,
  WebhookMetrics,
  WebhookTracing,
} from './types/index.js'
