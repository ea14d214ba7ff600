/**
 * `prometheusMetrics`: {@link WebhookMetrics} on prom-client.
 *
 * @module
 */
import { Counter, Gauge, Histogram, register as globalRegister, type Registry } from 'prom-client'
import { configError } from '../../errors.js'
import { refuseUnknownOptions } from '../../internal/suggest.js'
import type { WebhookMetrics } from '../../types/index.js'
import { resolveBuckets, type BucketOptions } from '../internal/buckets.js'
import { deliveryLabels, maxReceiversOption, ReceiverNames } from '../internal/labels.js'
import { QueueWatch } from '../internal/watch.js'
import { reuseOrCreate } from './registry.js'

export interface PrometheusMetricsOptions {
  /**
   * The registry the metrics go to; serve it with `await register.metrics()`.
   * Several receivers (and workers) may share one: they reuse the same metrics.
   * @default prom-client's global `register`
   */
  register?: Registry
  /**
   * Prefix of every metric name. Must be a valid metric-name start.
   * @default 'hookguard_'
   */
  prefix?: string
  /**
   * Histogram buckets, seconds. On a registry that already holds hookguard's
   * histograms (another receiver made them) those are reused as they are.
   * @default see {@link BucketOptions}
   */
  buckets?: BucketOptions
  /**
   * Distinct `receiver` label values kept; past it new names are reported as
   * `other` (a `name` function that names a receiver per tenant cannot make
   * a series per tenant without bound).
   * @default 100
   */
  maxReceivers?: number
}

const WHERE = 'prometheusMetrics'
const OPTIONS = ['register', 'prefix', 'buckets', 'maxReceivers']
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
/** Where the queues a shared depth gauge reads are kept: on the gauge, so every user of the registry adds to one list. */
const WATCHED = Symbol.for('hookguard.prometheus.watchedQueues')

type WatchedGauge = Gauge<'provider' | 'receiver'> & { [WATCHED]?: QueueWatch }

function checkOptions(options: PrometheusMetricsOptions): { register: Registry; prefix: string } {
  if (options === null || typeof options !== 'object') throw configError(`${WHERE}: options must be an object`)
  refuseUnknownOptions(WHERE, options, OPTIONS)
  const register = options.register ?? globalRegister
  if (typeof register?.getSingleMetric !== 'function' || typeof register.registerMetric !== 'function')
    throw configError(`${WHERE}: register must be a prom-client Registry (new Registry() or the global register)`)
  const prefix = options.prefix ?? 'hookguard_'
  if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX.test(prefix)))
    throw configError(`${WHERE}: prefix must match [a-zA-Z_:][a-zA-Z0-9_:]* (got ${JSON.stringify(prefix)})`)
  return { register, prefix }
}

function depthGauge(register: Registry, name: string): { gauge: WatchedGauge; watch: QueueWatch } {
  const labelNames = ['provider', 'receiver'] as const
  const gauge: WatchedGauge = reuseOrCreate(WHERE, register, name, { type: 'gauge', labelNames }, () => {
    const made: WatchedGauge = new Gauge({
      name,
      help: 'Events waiting in the queue (new or waiting for a retry), read at scrape time.',
      labelNames,
      registers: [register],
      async collect() {
        const depths = await made[WATCHED]!.read()
        made.reset()
        for (const { labels, pending } of depths) made.set(labels, pending)
      },
    })
    return made
  })
  gauge[WATCHED] ??= new QueueWatch()
  return { gauge, watch: gauge[WATCHED] }
}

/**
 * Metrics for a receiver and its worker, on prom-client:
 *
 * - `hookguard_deliveries_total{provider,receiver,outcome,code}` — answered requests
 * - `hookguard_receive_duration_seconds{provider,receiver,outcome}` — histogram
 * - `hookguard_handler_runs_total{result}` — success, retry, dead, stale, ignored
 * - `hookguard_handler_duration_seconds` — histogram
 * - `hookguard_queue_depth{provider,receiver}` — pending events, read at scrape time
 * - `hookguard_queue_lag_seconds` — histogram of handler start − receipt
 *
 * Pass the same object to `createReceiver` and to a separate `createWorker`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { register } from 'prom-client'
 * import { createReceiver, stripe } from 'hookguard'
 * import { prometheusMetrics } from 'hookguard/prometheus'
 *
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event) => fulfil(event),
 *   metrics: prometheusMetrics(),
 * })
 * createServer(async (req, res) => {
 *   if (req.url === '/metrics') res.setHeader('content-type', register.contentType).end(await register.metrics())
 * }).listen(9464)
 * ```
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): WebhookMetrics {
  const { register, prefix } = checkOptions(options)
  const buckets = resolveBuckets(WHERE, options.buckets)
  const receivers = new ReceiverNames(maxReceiversOption(WHERE, options.maxReceivers))
  const metric = <M>(
    name: string,
    type: 'counter' | 'gauge' | 'histogram',
    labelNames: readonly string[],
    make: (full: string) => M,
  ): M => reuseOrCreate(WHERE, register, prefix + name, { type, labelNames }, () => make(prefix + name))
  const registers = [register]

  const deliveryNames = ['provider', 'receiver', 'outcome', 'code'] as const
  const deliveries = metric('deliveries_total', 'counter', deliveryNames, (name) => {
    const help = 'Webhook requests answered, by outcome and error code.'
    return new Counter({ name, help, labelNames: deliveryNames, registers })
  })
  const durationNames = ['provider', 'receiver', 'outcome'] as const
  const receiveDuration = metric('receive_duration_seconds', 'histogram', durationNames, (name) => {
    const help = 'Time from request start to answer, seconds.'
    return new Histogram({ name, help, labelNames: durationNames, buckets: buckets.receive, registers })
  })
  const runs = metric('handler_runs_total', 'counter', ['result'], (name) => {
    const help = 'Handler runs, by how they ended.'
    return new Counter({ name, help, labelNames: ['result'] as const, registers })
  })
  const handlerDuration = metric('handler_duration_seconds', 'histogram', [], (name) => {
    const help = 'Time one handler run took, seconds.'
    return new Histogram({ name, help, buckets: buckets.handler, registers })
  })
  const lag = metric('queue_lag_seconds', 'histogram', [], (name) => {
    const help = 'Time from receipt to the start of a handler run (retries included), seconds.'
    return new Histogram({ name, help, buckets: buckets.lag, registers })
  })
  const { watch } = depthGauge(register, `${prefix}queue_depth`)

  return {
    delivery(outcome, durationSeconds) {
      const labels = deliveryLabels(outcome, receivers)
      deliveries.inc(labels)
      const { provider, receiver } = labels
      receiveDuration.observe({ provider, receiver, outcome: labels.outcome }, durationSeconds)
    },
    handlerRun(_event, result) {
      runs.inc({ result })
    },
    handlerDuration(_event, seconds) {
      handlerDuration.observe(seconds)
    },
    queueLag(_event, seconds) {
      lag.observe(seconds)
    },
    watchQueue(queue, labels) {
      watch.add(queue, labels)
    },
  }
}
