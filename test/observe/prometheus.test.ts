/**
 * `prometheusMetrics` on a real prom-client registry: real deliveries over
 * HTTP into a receiver, a separate worker on the same SQLite file, and the
 * exact text a scrape returns.
 */
import { Counter, register as globalRegister, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createReceiver, createWorker, type WebhookEvent } from '../../src/index.js'
import { prometheusMetrics } from '../../src/prometheus.js'
import { sqliteQueue } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import { send } from '../adapters/http.js'
import {
  BODY_MARKER,
  deliver,
  forge,
  provider,
  SECRET,
  serve,
  signatures,
  stripeBody,
  tempDir,
  waitFor,
} from './support.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The sample lines of a scrape (no comments), histograms' bucket lines left out. */
function samples(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#') && !line.includes('_bucket{'))
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  if (!line) throw new Error(`no series ${series} in:\n${text}`)
  return Number(line.slice(series.length + 1))
}

const RECEIVE_LE = [
  '0.0005',
  '0.001',
  '0.0025',
  '0.005',
  '0.01',
  '0.025',
  '0.05',
  '0.1',
  '0.25',
  '0.5',
  '1',
  '2.5',
  '5',
]

describe('prometheusMetrics', () => {
  it('a scrape after a scripted sequence through a receiver and a separate worker has exactly these series', async () => {
    const register = new Registry()
    const metrics = prometheusMetrics({ register })
    const dir = tempDir('prom')
    const path = dir.file('jobs')
    const receiver = createReceiver({ provider: provider(), queue: sqliteQueue({ path }), metrics, logger: false })
    const server = await serve(receiver)
    const ran: string[] = []
    const worker = createWorker({
      queue: sqliteQueue({ path, pollIntervalMs: 10, attempts: 2, backoffMs: 5, maxBackoffMs: 5 }),
      handler: (event: WebhookEvent) => {
        ran.push(`${event.id}#${event.attempt}`)
        if (event.id === 'evt_dead' || (event.id === 'evt_flaky' && event.attempt === 1)) throw new Error('no')
      },
      metrics,
      logger: false,
    })
    cleanups.push(
      dir.cleanup,
      () => receiver.close(),
      () => server.close(),
      () => worker.close(),
    )

    expect((await deliver(server.url, 'evt_ok')).status).toBe(200)
    expect((await deliver(server.url, 'evt_ok')).json).toMatchObject({ status: 'duplicate' })
    expect((await forge(server.url, 'evt_forged')).status).toBe(401)
    expect((await deliver(server.url, 'evt_flaky')).status).toBe(200)
    expect((await deliver(server.url, 'evt_dead')).status).toBe(200)
    await waitFor(() => ran.length === 5, 'five handler runs')
    await waitFor(async () => (await register.metrics()).includes('hookguard_handler_runs_total{result="dead"} 1'))

    const text = await register.metrics()
    const lag = 'hookguard_queue_lag_seconds'
    const handler = 'hookguard_handler_duration_seconds'
    const receive = 'hookguard_receive_duration_seconds'
    const where = 'provider="stripe",receiver="default"'
    expect(samples(text).map((line) => line.replace(/ [^ ]+$/, ''))).toEqual([
      `hookguard_deliveries_total{${where},outcome="accepted",code=""}`,
      `hookguard_deliveries_total{${where},outcome="duplicate",code=""}`,
      `hookguard_deliveries_total{${where},outcome="rejected",code="signature.invalid"}`,
      `${receive}_sum{${where},outcome="accepted"}`,
      `${receive}_count{${where},outcome="accepted"}`,
      `${receive}_sum{${where},outcome="duplicate"}`,
      `${receive}_count{${where},outcome="duplicate"}`,
      `${receive}_sum{${where},outcome="rejected"}`,
      `${receive}_count{${where},outcome="rejected"}`,
      'hookguard_handler_runs_total{result="success"}',
      'hookguard_handler_runs_total{result="retry"}',
      'hookguard_handler_runs_total{result="dead"}',
      `${handler}_sum`,
      `${handler}_count`,
      `${lag}_sum`,
      `${lag}_count`,
      // The receiver's and the worker's queue objects read the same table; the worker's has no names.
      `hookguard_queue_depth{${where}}`,
      'hookguard_queue_depth{provider="",receiver=""}',
    ])
    expect(value(text, `hookguard_deliveries_total{${where},outcome="accepted",code=""}`)).toBe(3)
    expect(value(text, `hookguard_deliveries_total{${where},outcome="duplicate",code=""}`)).toBe(1)
    expect(value(text, `hookguard_deliveries_total{${where},outcome="rejected",code="signature.invalid"}`)).toBe(1)
    expect(value(text, 'hookguard_handler_runs_total{result="success"}')).toBe(2)
    expect(value(text, 'hookguard_handler_runs_total{result="retry"}')).toBe(2)
    expect(value(text, 'hookguard_handler_runs_total{result="dead"}')).toBe(1)
    expect(value(text, `${handler}_count`)).toBe(5)
    expect(value(text, `${lag}_count`)).toBe(5)
    expect(value(text, `${receive}_count{${where},outcome="accepted"}`)).toBe(3)
    expect(value(text, `hookguard_queue_depth{${where}}`)).toBe(0)
    const les = [
      ...text.matchAll(
        /^hookguard_receive_duration_seconds_bucket\{le="([^"]+)",provider="stripe",receiver="default",outcome="accepted"\}/gm,
      ),
    ]
    expect(les.map((match) => match[1])).toEqual([...RECEIVE_LE, '+Inf'])
    expect(text).toContain('# TYPE hookguard_queue_depth gauge')
    expect(text).toContain('# TYPE hookguard_receive_duration_seconds histogram')
    for (const forbidden of [SECRET, BODY_MARKER, 'evt_ok', ...signatures]) expect(text).not.toContain(forbidden)
  })

  it('the depth gauge is read at scrape time, once per queue even when a receiver and a worker watch it', async () => {
    const register = new Registry()
    const metrics = prometheusMetrics({ register })
    const dir = tempDir('prom-depth')
    const queue = sqliteQueue({ path: dir.file('jobs'), pollIntervalMs: 10 })
    const receiver = createReceiver({ provider: provider(), queue, metrics, logger: false })
    const server = await serve(receiver)
    cleanups.push(
      dir.cleanup,
      () => receiver.close(),
      () => server.close(),
    )
    for (const id of ['evt_d1', 'evt_d2', 'evt_d3']) expect((await deliver(server.url, id)).status).toBe(200)
    const before = await register.metrics()
    expect(samples(before).filter((line) => line.startsWith('hookguard_queue_depth'))).toEqual([
      'hookguard_queue_depth{provider="stripe",receiver="default"} 3',
    ])

    let handled = 0
    const worker = createWorker({ queue, handler: () => void handled++, metrics, logger: false })
    cleanups.push(() => worker.close())
    await waitFor(() => handled === 3, 'three runs')
    await waitFor(async () => (await queue.stats()).pending === 0, 'drained')
    expect(samples(await register.metrics()).filter((line) => line.startsWith('hookguard_queue_depth'))).toEqual([
      'hookguard_queue_depth{provider="stripe",receiver="default"} 0',
    ])
  })

  it('two receivers on one registry share the metrics instead of throwing "already registered"', async () => {
    const register = new Registry()
    const a = createReceiver({
      provider: provider(),
      name: 'a',
      metrics: prometheusMetrics({ register }),
      logger: false,
    })
    const b = createReceiver({
      provider: provider(),
      name: 'b',
      metrics: prometheusMetrics({ register }),
      logger: false,
    })
    cleanups.push(
      () => a.close(),
      () => b.close(),
    )
    for (const receiver of [a, b]) {
      const signed = await signRequest(provider(), { body: stripeBody('evt_shared') })
      expect((await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })).status).toBe(200)
    }
    const text = await register.metrics()
    expect(value(text, 'hookguard_deliveries_total{provider="stripe",receiver="a",outcome="accepted",code=""}')).toBe(1)
    expect(value(text, 'hookguard_deliveries_total{provider="stripe",receiver="b",outcome="accepted",code=""}')).toBe(1)
    expect(text.match(/^# TYPE hookguard_deliveries_total counter$/gm)).toHaveLength(1)
    expect(samples(text).filter((line) => line.startsWith('hookguard_queue_depth'))).toEqual([
      'hookguard_queue_depth{provider="stripe",receiver="a"} 1',
      'hookguard_queue_depth{provider="stripe",receiver="b"} 1',
    ])
  })

  it('label values stay bounded: receiver names past maxReceivers and unknown codes become "other"', async () => {
    const register = new Registry()
    const metrics = prometheusMetrics({ register, maxReceivers: 2 })
    const receiver = createReceiver({
      provider: provider(),
      name: (request) => String(request.headers['x-tenant']),
      metrics,
      logger: false,
    })
    const server = await serve(receiver)
    cleanups.push(
      () => receiver.close(),
      () => server.close(),
    )
    for (const tenant of ['t1', 't2', 't3', 't4']) {
      const signed = await signRequest(provider(), { body: stripeBody(`evt_${tenant}`) })
      const answer = await send(server.url, { headers: { ...signed.headers, 'x-tenant': tenant }, body: signed.body })
      expect(answer.status).toBe(200)
    }
    metrics.delivery({ kind: 'rejected', provider: 'stripe', receiver: 't1', code: 'made.up', status: 400 }, 0.001)
    const text = await register.metrics()
    const deliveries = samples(text).filter((line) => line.startsWith('hookguard_deliveries_total'))
    expect(deliveries).toEqual([
      'hookguard_deliveries_total{provider="stripe",receiver="t1",outcome="accepted",code=""} 1',
      'hookguard_deliveries_total{provider="stripe",receiver="t2",outcome="accepted",code=""} 1',
      'hookguard_deliveries_total{provider="stripe",receiver="other",outcome="accepted",code=""} 2',
      'hookguard_deliveries_total{provider="stripe",receiver="t1",outcome="rejected",code="other"} 1',
    ])
  })

  it('a queue whose stats() fails is left out of the scrape, which still succeeds', async () => {
    const register = new Registry()
    const metrics = prometheusMetrics({ register })
    metrics.watchQueue({ stats: () => Promise.reject(new Error('redis down')) }, { provider: 'x', receiver: 'y' })
    metrics.watchQueue(
      { stats: async () => ({ pending: 7, running: 0, done: 0, dead: 0 }) },
      { provider: 'stripe', receiver: 'ok' },
    )
    const text = await register.metrics()
    expect(samples(text).filter((line) => line.startsWith('hookguard_queue_depth'))).toEqual([
      'hookguard_queue_depth{provider="stripe",receiver="ok"} 7',
    ])
  })

  it('prefix renames every metric; the global register is the default', async () => {
    const register = new Registry()
    prometheusMetrics({ register, prefix: 'shop_' })
    expect(
      register
        .getMetricsAsArray()
        .map((m) => m.name)
        .sort(),
    ).toEqual([
      'shop_deliveries_total',
      'shop_handler_duration_seconds',
      'shop_handler_runs_total',
      'shop_queue_depth',
      'shop_queue_lag_seconds',
      'shop_receive_duration_seconds',
    ])
    prometheusMetrics()
    prometheusMetrics()
    expect(globalRegister.getSingleMetric('hookguard_deliveries_total')).toBeDefined()
    globalRegister.clear()
  })

  it('refuses bad options and a clashing metric at construction, naming the fix', () => {
    const register = new Registry()
    new Counter({
      name: 'hookguard_deliveries_total',
      help: 'someone else',
      labelNames: ['path'],
      registers: [register],
    })
    expect(() => prometheusMetrics({ register })).toThrow(/already has a metric 'hookguard_deliveries_total'.*prefix/)
    expect(() => prometheusMetrics({ register, prefix: 'app_' })).not.toThrow()
    expect(() => prometheusMetrics({ registry: register } as never)).toThrow(/did you mean 'register'/)
    expect(() => prometheusMetrics({ prefix: 'bad-prefix' })).toThrow(TypeError)
    expect(() => prometheusMetrics({ register: {} as never })).toThrow(/prom-client Registry/)
  })
})
