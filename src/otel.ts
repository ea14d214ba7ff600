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
