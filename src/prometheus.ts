/**
 * `hookguard/prometheus`: receiver and worker metrics on prom-client (an
 * optional peer dependency). Give the same object to `createReceiver` and to
 * `createWorker`; serve the registry at `/metrics`.
 *
 * @example
 * ```ts
 * import { register } from 'prom-client'
 * import { createReceiver, stripe } from 'hookguard'
 * import { prometheusMetrics } from 'hookguard/prometheus'
 *
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event) => fulfil(event),
 *   metrics: prometheusMetrics(),
 * })
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()))
 * ```
 *
 * @module
 */
export { prometheusMetrics, type PrometheusMetricsOptions } from './observe/prometheus/metrics.js'
export type { BucketOptions } from './observe/internal/buckets.js'
export type { HandlerResult, WebhookMetrics } from './types/index.js'
