/**
 * `otelMetrics`: {@link WebhookMetrics} on `@opentelemetry/api`.
 *
 * @module
 */
import type { Attributes, Counter, Histogram, MeterProvider } from '@opentelemetry/api'
import { configError } from '../../errors.js'
import { refuseUnknownOptions } from '../../internal/suggest.js'
import type { WebhookMetrics } from '../../types/index.js'
import { resolveBuckets, type BucketOptions } from '../internal/buckets.js'
import { deliveryLabels, maxReceiversOption, ReceiverNames } from '../internal/labels.js'
import { QueueWatch } from '../internal/watch.js'
import { ATTR, METRIC } from './names.js'
import { meterOf, meterProviderSource } from './providers.js'

export interface OtelMetricsOptions {
  /**
   * Where the instruments are made. Without it the global meter provider is
   * used, checked on each report, so instruments are (re)made when an SDK is
   * registered; with none registered nothing is recorded.
   * @default the global meter provider (`metrics.getMeterProvider()`)
   */
  meterProvider?: MeterProvider
  /** Histogram bucket advice, seconds. @default see {@link BucketOptions} */
  buckets?: BucketOptions
  /**
   * Distinct `hookguard.receiver` values kept; past it new names are
   * reported as `other`, so per-tenant names stay bounded.
   * @default 100
   */
  maxReceivers?: number
}

interface Instruments {
  deliveries: Counter
  receiveDuration: Histogram
  runs: Counter
  handlerDuration: Histogram
  lag: Histogram
}

const WHERE = 'otelMetrics'

function instrumentsOf(
  provider: MeterProvider,
  buckets: ReturnType<typeof resolveBuckets>,
  watch: QueueWatch,
): Instruments | undefined {
  const meter = meterOf(provider)
  if (!meter) return undefined
  const seconds = (description: string, bounds: number[]) =>
    ({ unit: 's', description, advice: { explicitBucketBoundaries: bounds } }) as const
  const depth = meter.createObservableGauge(METRIC.queueDepth, {
    unit: '{event}',
    description: 'Events waiting in the queue (new or waiting for a retry), read at collection time.',
  })
  depth.addCallback(async (result) => {
    for (const { labels, pending } of await watch.read())
      result.observe(pending, { [ATTR.provider]: labels.provider, [ATTR.receiver]: labels.receiver })
  })
  return {
    deliveries: meter.createCounter(METRIC.deliveries, {
      unit: '{delivery}',
      description: 'Webhook requests answered, by outcome and error code.',
    }),
    receiveDuration: meter.createHistogram(
      METRIC.receiveDuration,
      seconds('Time from request start to answer.', buckets.receive),
    ),
    runs: meter.createCounter(METRIC.handlerRuns, { unit: '{run}', description: 'Handler runs, by how they ended.' }),
    handlerDuration: meter.createHistogram(
      METRIC.handlerDuration,
      seconds('Time one handler run took.', buckets.handler),
    ),
    lag: meter.createHistogram(
      METRIC.queueLag,
      seconds('Time from receipt to the start of a handler run (retries included).', buckets.lag),
    ),
  }
}

/**
 * Metrics on OpenTelemetry: `hookguard.deliveries` (counter),
 * `hookguard.receive.duration` (histogram, s), `hookguard.handler.runs`
 * (counter by `hookguard.result`), `hookguard.handler.duration` (s),
 * `hookguard.queue.depth` (observable gauge), `hookguard.queue.lag` (s).
 * Give the same object to `createReceiver` and `createWorker`.
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 * import { otelMetrics } from 'hookguard/otel'
 *
 * const receiver = createReceiver({ provider: stripe({ secret }), handler, metrics: otelMetrics() })
 * ```
 */
export function otelMetrics(options: OtelMetricsOptions = {}): WebhookMetrics {
  if (options === null || typeof options !== 'object') throw configError(`${WHERE}: options must be an object`)
  refuseUnknownOptions(WHERE, options, ['meterProvider', 'buckets', 'maxReceivers'])
  if (options.meterProvider !== undefined && typeof options.meterProvider?.getMeter !== 'function')
    throw configError(`${WHERE}: meterProvider must be an OpenTelemetry MeterProvider (with getMeter)`)
  const buckets = resolveBuckets(WHERE, options.buckets)
  const receivers = new ReceiverNames(maxReceiversOption(WHERE, options.maxReceivers))
  const providerNow = meterProviderSource(options.meterProvider)
  const watch = new QueueWatch()
  let made: { provider: MeterProvider; instruments: Instruments | undefined } | undefined
  const current = (): Instruments | undefined => {
    const provider = providerNow()
    if (made?.provider !== provider) made = { provider, instruments: instrumentsOf(provider, buckets, watch) }
    return made.instruments
  }
  return {
    delivery(outcome, durationSeconds) {
      const instruments = current()
      if (!instruments) return
      const labels = deliveryLabels(outcome, receivers)
      const attributes: Attributes = {
        [ATTR.provider]: labels.provider,
        [ATTR.receiver]: labels.receiver,
        [ATTR.outcome]: labels.outcome,
      }
      // The SDK may keep the object it was given as a series key: each instrument gets its own.
      instruments.receiveDuration.record(durationSeconds, attributes)
      instruments.deliveries.add(
        1,
        labels.code === '' ? { ...attributes } : Object.assign({}, attributes, { [ATTR.code]: labels.code }),
      )
    },
    handlerRun(_event, result) {
      current()?.runs.add(1, { [ATTR.result]: result })
    },
    handlerDuration(_event, seconds) {
      current()?.handlerDuration.record(seconds)
    },
    queueLag(_event, seconds) {
      current()?.lag.record(seconds)
    },
    watchQueue(queue, labels) {
      watch.add(queue, labels)
      current()
    },
  }
}
