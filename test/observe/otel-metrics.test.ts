/**
 * `otelMetrics` against the OpenTelemetry metrics SDK: a scripted sequence
 * of real deliveries over HTTP and real handler runs, then one collection.
 */
import { metrics } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { createReceiver, memoryQueue, type WebhookEvent } from '../../src/index.js'
import { otelMetrics } from '../../src/otel.js'
import { BODY_MARKER, deliver, forge, provider, SECRET, serve, signatures, waitFor } from './support.js'

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collect(reader: MetricReader): Promise<MetricData[]> {
  const { resourceMetrics, errors } = await reader.collect()
  expect(errors).toEqual([])
  return resourceMetrics.scopeMetrics.filter((scope) => scope.scope.name === 'hookguard').flatMap((s) => s.metrics)
}

function metric(all: MetricData[], name: string): MetricData {
  const found = all.find((m) => m.descriptor.name === name)
  if (!found) throw new Error(`no metric ${name} in ${all.map((m) => m.descriptor.name).join(', ')}`)
  return found
}

/** `attributes → value` of a sum or gauge, attributes as `k=v,k=v` sorted. */
function values(data: MetricData): Record<string, number> {
  const out: Record<string, number> = {}
  for (const point of data.dataPoints as DataPoint<number>[]) {
    const key = Object.entries(point.attributes)
      .map(([k, v]) => `${k}=${String(v)}`)
      .sort()
      .join(',')
    out[key] = point.value
  }
  return out
}

/** The attribute sets of a metric's points, as `k=v,k=v` sorted. */
function series(data: MetricData): string[] {
  return data.dataPoints
    .map((point) =>
      Object.entries(point.attributes)
        .map(([k, v]) => `${k}=${String(v)}`)
        .sort()
        .join(','),
    )
    .sort()
}

function histogramCount(data: MetricData): number {
  expect(data.dataPointType).toBe(DataPointType.HISTOGRAM)
  return (data.dataPoints as DataPoint<Histogram>[]).reduce((n, point) => n + point.value.count, 0)
}

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  metrics.disable()
})

/** accepted, duplicate, forged 401, a handler that fails once then succeeds, one that fails until dead-lettered. */
async function scripted(meterProvider?: MeterProvider): Promise<void> {
  const ran: string[] = []
  const receiver = createReceiver({
    provider: provider(),
    queue: memoryQueue({ attempts: 2, backoffMs: 5, maxBackoffMs: 5 }),
    handler: (event: WebhookEvent) => {
      ran.push(`${event.id}#${event.attempt}`)
      if (event.id === 'evt_dead' || (event.id === 'evt_flaky' && event.attempt === 1)) throw new Error('no')
    },
    metrics: otelMetrics(meterProvider ? { meterProvider } : {}),
    logger: false,
  })
  const server = await serve(receiver)
  cleanups.push(
    () => receiver.close(),
    () => server.close(),
  )
  expect((await deliver(server.url, 'evt_ok')).status).toBe(200)
  expect((await deliver(server.url, 'evt_ok')).json).toMatchObject({ status: 'duplicate' })
  expect((await forge(server.url, 'evt_forged')).status).toBe(401)
  expect((await deliver(server.url, 'evt_flaky')).status).toBe(200)
  expect((await deliver(server.url, 'evt_dead')).status).toBe(200)
  await waitFor(() => ran.length === 5, 'five handler runs')
  // The last hook (dead letter) fires after the run; let it land.
  await waitFor(async () => (await receiver.queue.stats!()).dead === 1, 'dead letter')
}

describe('otelMetrics', () => {
  it('counts deliveries, handler runs, durations, lag and queue depth after a scripted sequence', async () => {
    const reader = new TestReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    cleanups.push(() => meterProvider.shutdown())
    await scripted(meterProvider)

    const all = await collect(reader)
    expect(all.map((m) => m.descriptor.name).sort()).toEqual([
      'hookguard.deliveries',
      'hookguard.handler.duration',
      'hookguard.handler.runs',
      'hookguard.queue.depth',
      'hookguard.queue.lag',
      'hookguard.receive.duration',
    ])
    const base = 'hookguard.provider=stripe,hookguard.receiver=default'
    expect(values(metric(all, 'hookguard.deliveries'))).toEqual({
      [`${base},hookguard.outcome=accepted`.split(',').sort().join(',')]: 3,
      [`${base},hookguard.outcome=duplicate`.split(',').sort().join(',')]: 1,
      [`hookguard.code=signature.invalid,hookguard.outcome=rejected,${base}`.split(',').sort().join(',')]: 1,
    })
    expect(values(metric(all, 'hookguard.handler.runs'))).toEqual({
      'hookguard.result=success': 2,
      'hookguard.result=retry': 2,
      'hookguard.result=dead': 1,
    })
    expect(histogramCount(metric(all, 'hookguard.receive.duration'))).toBe(5)
    // Durations are split by outcome only: no error code, so a code adds no histogram series.
    expect(series(metric(all, 'hookguard.receive.duration'))).toEqual(
      ['accepted', 'duplicate', 'rejected'].map((o) => `hookguard.outcome=${o},${base}`),
    )
    expect(histogramCount(metric(all, 'hookguard.handler.duration'))).toBe(5)
    expect(histogramCount(metric(all, 'hookguard.queue.lag'))).toBe(5)
    expect(values(metric(all, 'hookguard.queue.depth'))).toEqual({ [base]: 0 })

    const duration = metric(all, 'hookguard.receive.duration')
    expect(duration.descriptor.unit).toBe('s')
    const point = (duration.dataPoints as DataPoint<Histogram>[])[0]!
    expect(point.value.buckets.boundaries[0]).toBe(0.0005)
    expect(point.value.sum).toBeGreaterThan(0)
    expect(point.value.max).toBeLessThan(5)

    const recorded = JSON.stringify(all)
    for (const forbidden of [SECRET, BODY_MARKER, 'evt_ok', ...signatures]) expect(recorded).not.toContain(forbidden)
  })

  it('the depth gauge reads pending events at collection time', async () => {
    const reader = new TestReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    cleanups.push(() => meterProvider.shutdown())
    // No handler: accepted events wait in the queue.
    const receiver = createReceiver({ provider: provider(), metrics: otelMetrics({ meterProvider }), logger: false })
    const server = await serve(receiver)
    cleanups.push(() => server.close())
    for (const id of ['evt_w1', 'evt_w2', 'evt_w3']) expect((await deliver(server.url, id)).status).toBe(200)
    const depth = values(metric(await collect(reader), 'hookguard.queue.depth'))
    expect(depth).toEqual({ 'hookguard.provider=stripe,hookguard.receiver=default': 3 })
  })

  it('uses the global meter provider, and records nothing (without failing) while none is registered', async () => {
    const unused = otelMetrics()
    const outcome = { kind: 'accepted', provider: 'stripe', receiver: 'default', id: 'e', key: 'k' } as const
    expect(() => unused.delivery(outcome, 0.01)).not.toThrow()

    const reader = new TestReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    cleanups.push(() => meterProvider.shutdown())
    metrics.setGlobalMeterProvider(meterProvider)
    unused.delivery(outcome, 0.01)
    expect(values(metric(await collect(reader), 'hookguard.deliveries'))).toEqual({
      'hookguard.outcome=accepted,hookguard.provider=stripe,hookguard.receiver=default': 1,
    })
  })

  it('refuses bad options at construction', () => {
    expect(() => otelMetrics({ meterProvidr: {} } as never)).toThrow(/did you mean 'meterProvider'/)
    expect(() => otelMetrics({ buckets: { receive: [1, 0.5] } })).toThrow(/increasing/)
    expect(() => otelMetrics({ maxReceivers: 0 })).toThrow(TypeError)
  })
})
