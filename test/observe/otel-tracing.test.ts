/**
 * `otelTracing` against the OpenTelemetry SDK's in-memory exporter: a real
 * receiver behind the node:http adapter, real workers on memoryQueue and on
 * a SQLite file, and the span tree, attributes and links users see.
 */
import {
  context,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type SpanContext,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver, createWorker, memoryQueue, type Receiver, type WebhookEvent } from '../../src/index.js'
import { otelTracing, type HandleSpan } from '../../src/otel.js'
import { sqliteQueue } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import {
  BODY_MARKER,
  brokenStore,
  deliver,
  forge,
  provider,
  SECRET,
  serve,
  signatures,
  stripeBody,
  tempDir,
  waitFor,
  type Served,
} from './support.js'

const exporter = new InMemorySpanExporter()
const sdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const contextManager = new AsyncLocalStorageContextManager()

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
  trace.setGlobalTracerProvider(sdk)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
})
afterAll(async () => {
  trace.disable()
  propagation.disable()
  context.disable()
  await sdk.shutdown()
})

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  exporter.reset()
})

async function served(receiver: Receiver, wrap?: Parameters<typeof serve>[1]): Promise<Served> {
  const server = await serve(receiver, wrap)
  cleanups.push(
    () => receiver.close(),
    () => server.close(),
  )
  return server
}

const spans = (name?: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((span) => name === undefined || span.name === name)

function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  return spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)
}

async function lastReceive(count: number): Promise<ReadableSpan> {
  await waitFor(() => spans('hookguard.receive').length >= count, 'receive span')
  return spans('hookguard.receive')[count - 1]!
}

function sameContext(link: SpanContext, span: ReadableSpan): void {
  expect(link.traceId).toBe(span.spanContext().traceId)
  expect(link.spanId).toBe(span.spanContext().spanId)
}

describe('otelTracing: the receive span', () => {
  it('accepted: a SERVER span with the delivery attributes and verify, reserve, enqueue, complete children', async () => {
    const receiver = createReceiver({ provider: provider(), tracing: otelTracing(), logger: false })
    const { url } = await served(receiver)
    const answer = await deliver(url, 'evt_accepted')
    expect(answer.status).toBe(200)

    const receive = await lastReceive(1)
    expect(receive.kind).toBe(SpanKind.SERVER)
    expect(receive.parentSpanContext).toBeUndefined()
    expect(receive.status.code).toBe(SpanStatusCode.UNSET)
    expect(receive.instrumentationScope.name).toBe('hookguard')
    expect(receive.attributes).toEqual({
      'hookguard.provider': 'stripe',
      'hookguard.receiver': 'default',
      'hookguard.outcome': 'accepted',
      'hookguard.event.id': 'evt_accepted',
      'hookguard.event.type': 'invoice.paid',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'http.request.body.size': Buffer.byteLength(stripeBody('evt_accepted')),
    })
    const children = childrenOf(receive)
    expect(children.map((span) => span.name)).toEqual([
      'hookguard.verify',
      'hookguard.reserve',
      'hookguard.enqueue',
      'hookguard.complete',
    ])
    for (const child of children) {
      expect(child.kind).toBe(SpanKind.INTERNAL)
      expect(child.status.code).toBe(SpanStatusCode.UNSET)
      expect(child.spanContext().traceId).toBe(receive.spanContext().traceId)
    }
  })

  it('duplicate: outcome duplicate, and the trace stops after reserve', async () => {
    const receiver = createReceiver({ provider: provider(), tracing: otelTracing(), logger: false })
    const { url } = await served(receiver)
    const signed = await signRequest(provider(), { body: stripeBody('evt_twice') })
    const { send } = await import('../adapters/http.js')
    expect((await send(url, { headers: signed.headers, body: signed.body })).status).toBe(200)
    expect((await send(url, { headers: signed.headers, body: signed.body })).json).toMatchObject({
      status: 'duplicate',
    })

    const receive = await lastReceive(2)
    expect(receive.attributes['hookguard.outcome']).toBe('duplicate')
    expect(receive.attributes['hookguard.event.id']).toBe('evt_twice')
    expect(receive.attributes['http.response.status_code']).toBe(200)
    expect(receive.attributes['hookguard.code']).toBeUndefined()
    expect(childrenOf(receive).map((span) => span.name)).toEqual(['hookguard.verify', 'hookguard.reserve'])
  })

  it('rejected: a forged delivery is a 401 with its code, the verify step failed, the span itself not', async () => {
    const receiver = createReceiver({ provider: provider(), tracing: otelTracing(), logger: false })
    const { url } = await served(receiver)
    expect((await forge(url, 'evt_forged')).status).toBe(401)

    const receive = await lastReceive(1)
    expect(receive.attributes).toMatchObject({
      'hookguard.outcome': 'rejected',
      'hookguard.code': 'signature.invalid',
      'http.response.status_code': 401,
    })
    expect(receive.attributes['hookguard.event.id']).toBeUndefined()
    // 4xx is the sender's error: the server span stays UNSET (HTTP semantic conventions).
    expect(receive.status.code).toBe(SpanStatusCode.UNSET)
    const children = childrenOf(receive)
    expect(children.map((span) => span.name)).toEqual(['hookguard.verify'])
    expect(children[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'signature.invalid' })
  })

  it('503: a failing store marks the receive span and the reserve step ERROR', async () => {
    const tracing = otelTracing()
    const receiver = createReceiver({ provider: provider(), store: brokenStore(), tracing, logger: false })
    const { url } = await served(receiver)
    expect((await deliver(url, 'evt_unavailable')).status).toBe(503)

    const receive = await lastReceive(1)
    expect(receive.attributes).toMatchObject({
      'hookguard.outcome': 'unavailable',
      'hookguard.code': 'store.unavailable',
      'error.type': 'store.unavailable',
      'http.response.status_code': 503,
      'hookguard.event.id': 'evt_unavailable',
    })
    expect(receive.status).toEqual({ code: SpanStatusCode.ERROR, message: 'store.unavailable' })
    const children = childrenOf(receive)
    expect(children.map((span) => span.name)).toEqual(['hookguard.verify', 'hookguard.reserve'])
    expect(children[1]!.status.code).toBe(SpanStatusCode.ERROR)
    expect(children[1]!.attributes['error.type']).toBe('Error')
  })

  it('inside an active span the receive span is an INTERNAL child of it, and keeps its tracestate', async () => {
    const remote: SpanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
      traceState: createTraceState('vendor=abc'),
    }
    const receiver = createReceiver({ provider: provider(), tracing: otelTracing(), logger: false })
    const { url } = await served(
      receiver,
      (listener) => (req, res) => context.with(trace.setSpanContext(ROOT_CONTEXT, remote), () => listener(req, res)),
    )
    expect((await deliver(url, 'evt_child')).status).toBe(200)
    const receive = await lastReceive(1)
    expect(receive.kind).toBe(SpanKind.INTERNAL)
    expect(receive.parentSpanContext?.spanId).toBe(remote.spanId)
    expect(receive.spanContext().traceId).toBe(remote.traceId)
    expect(receive.spanContext().traceState?.get('vendor')).toBe('abc')
  })
})

describe('otelTracing: the handle span', () => {
  it('memoryQueue: one CONSUMER span per run, linked to the request; a throwing run is ERROR with the exception', async () => {
    let runs = 0
    const receiver = createReceiver({
      provider: provider(),
      queue: memoryQueue({ attempts: 3, backoffMs: 5, maxBackoffMs: 5 }),
      handler: () => {
        if (++runs === 1) throw new Error('flaky downstream')
      },
      tracing: otelTracing(),
      logger: false,
    })
    const { url } = await served(receiver)
    expect((await deliver(url, 'evt_retried', 'invoice.paid')).status).toBe(200)
    await waitFor(() => spans('hookguard.handle').length === 2, 'two handle spans')

    const receive = spans('hookguard.receive')[0]!
    const [first, second] = spans('hookguard.handle')
    for (const [span, attempt] of [
      [first!, 1],
      [second!, 2],
    ] as const) {
      expect(span.kind).toBe(SpanKind.CONSUMER)
      expect(span.attributes).toMatchObject({
        'hookguard.provider': 'stripe',
        'hookguard.event.id': 'evt_retried',
        'hookguard.event.type': 'invoice.paid',
        'hookguard.attempt': attempt,
      })
      expect(span.links).toHaveLength(1)
      sameContext(span.links[0]!.context, receive)
      // Linked, not parented: the run is later work with a trace of its own.
      expect(span.parentSpanContext).toBeUndefined()
      expect(span.spanContext().traceId).not.toBe(receive.spanContext().traceId)
    }
    expect(first!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error: flaky downstream' })
    expect(first!.attributes['error.type']).toBe('Error')
    expect(first!.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([
      ['exception', 'flaky downstream'],
    ])
    expect(second!.status.code).toBe(SpanStatusCode.UNSET)
    expect(second!.events).toEqual([])
  })

  it('SQLite: the context survives the row, and a separate createWorker links to the request (tracestate too)', async () => {
    const dir = tempDir('otel')
    cleanups.push(() => dir.cleanup())
    const path = dir.file('jobs')
    const remote: SpanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
      traceState: createTraceState('rojo=00f067aa0ba902b7'),
    }
    const tracing = otelTracing()
    const receiver = createReceiver({ provider: provider(), queue: sqliteQueue({ path }), tracing, logger: false })
    const { url } = await served(
      receiver,
      (listener) => (req, res) => context.with(trace.setSpanContext(ROOT_CONTEXT, remote), () => listener(req, res)),
    )
    expect((await deliver(url, 'evt_sqlite', 'customer.created')).status).toBe(200)
    const receive = await lastReceive(1)

    const seen: WebhookEvent[] = []
    const worker = createWorker({
      queue: sqliteQueue({ path, pollIntervalMs: 20 }),
      handler: (event) => void seen.push(event),
      tracing: otelTracing(),
      logger: false,
    })
    cleanups.push(() => worker.close())
    await waitFor(() => spans('hookguard.handle').length === 1, 'handle span')

    expect(seen[0]!.meta).toEqual({
      traceparent: `00-${remote.traceId}-${receive.spanContext().spanId}-01`,
      tracestate: 'rojo=00f067aa0ba902b7',
    })
    const handle = spans('hookguard.handle')[0]!
    expect(handle.attributes).toMatchObject({ 'hookguard.event.id': 'evt_sqlite', 'hookguard.attempt': 1 })
    sameContext(handle.links[0]!.context, receive)
    expect(handle.links[0]!.context.traceState?.get('rojo')).toBe('00f067aa0ba902b7')
  })

  it('run() makes the handle span active, so spans the handler starts are its children', async () => {
    const event = { id: 'evt_run', key: 'k', provider: 'stripe', receivedAt: 0, payload: {}, headers: {}, attempt: 1 }
    const span = otelTracing().startHandle(event) as HandleSpan
    await span.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      trace.getTracer('app').startSpan('db.query').end()
    })
    span.end()
    const handle = spans('hookguard.handle')[0]!
    expect(childrenOf(handle).map((child) => child.name)).toEqual(['db.query'])
  })

  it("inside the worker's own active span (a job runner's) the handle span nests there, still linked", async () => {
    const receiver = createReceiver({ provider: provider(), tracing: otelTracing(), logger: false })
    const signed = await signRequest(provider(), { body: stripeBody('evt_ambient') })
    let carried: WebhookEvent | undefined
    await receiver.handle(
      { method: 'POST', headers: signed.headers, body: signed.body },
      { deliver: (event) => void (carried = event) },
    )
    await receiver.close()
    const job = trace.getTracer('runner').startSpan('job')
    context.with(trace.setSpan(context.active(), job), () => otelTracing().startHandle(carried!)!.end())
    job.end()
    const handle = spans('hookguard.handle')[0]!
    expect(handle.parentSpanContext?.spanId).toBe(job.spanContext().spanId)
    sameContext(handle.links[0]!.context, spans('hookguard.receive')[0]!)
  })

  it('without a registered propagator the W3C context is still carried and linked', async () => {
    propagation.disable()
    try {
      const receiver = createReceiver({
        provider: provider(),
        handler: () => {},
        tracing: otelTracing(),
        logger: false,
      })
      const { url } = await served(receiver)
      expect((await deliver(url, 'evt_nopropagator')).status).toBe(200)
      await waitFor(() => spans('hookguard.handle').length === 1, 'handle span')
      sameContext(spans('hookguard.handle')[0]!.links[0]!.context, spans('hookguard.receive')[0]!)
    } finally {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    }
  })
})

describe('otelTracing: cost and privacy', () => {
  it('with no SDK registered it creates nothing and carries nothing; an SDK registered later is picked up', async () => {
    const tracing = otelTracing()
    const receiver = createReceiver({ provider: provider(), tracing, logger: false })
    cleanups.push(() => receiver.close())
    const inline = async (id: string) => {
      const signed = await signRequest(provider(), { body: stripeBody(id) })
      let carried: WebhookEvent | undefined
      const result = await receiver.handle(
        { method: 'POST', headers: signed.headers, body: signed.body },
        { deliver: (event) => void (carried = event) },
      )
      return { result, carried }
    }
    trace.disable()
    try {
      expect(tracing.startReceive({ method: 'POST', provider: 'stripe', receiver: 'default' })).toBeUndefined()
      const handleEvent = { id: 'e', key: 'k', provider: 'stripe', receivedAt: 0, payload: {}, headers: {}, attempt: 1 }
      expect(tracing.startHandle(handleEvent)).toBeUndefined()
      const { result, carried } = await inline('evt_nosdk')
      expect(result.status).toBe(200)
      expect(carried!.meta).toBeUndefined()
      expect(exporter.getFinishedSpans()).toEqual([])
    } finally {
      trace.setGlobalTracerProvider(sdk)
    }
    const { carried } = await inline('evt_sdk_later')
    expect(carried!.meta?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    expect(spans('hookguard.receive')).toHaveLength(1)
  })

  it('a sampled-out delivery (tracerProvider option) records and carries nothing', async () => {
    const offExporter = new InMemorySpanExporter()
    const off = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(offExporter)],
    })
    const tracing = otelTracing({ tracerProvider: off })
    expect(tracing.startReceive({ method: 'POST', provider: 'stripe', receiver: 'default' })).toBeUndefined()
    expect(offExporter.getFinishedSpans()).toEqual([])
    await off.shutdown()
  })

  it('records no secret, signature or body, even from a forged request and a failing handler', async () => {
    const receiver = createReceiver({
      provider: provider(),
      queue: memoryQueue({ attempts: 1 }),
      handler: () => {
        throw new TypeError('handler refused it')
      },
      tracing: otelTracing(),
      logger: false,
    })
    const { url } = await served(receiver)
    signatures.length = 0
    expect((await deliver(url, 'evt_private')).status).toBe(200)
    expect((await forge(url, 'evt_private_forged')).status).toBe(401)
    await waitFor(() => spans('hookguard.handle').length === 1, 'handle span')
    const recorded = JSON.stringify(
      exporter.getFinishedSpans().map((span) => [span.name, span.attributes, span.events, span.status, span.links]),
    )
    expect(recorded).toContain('evt_private')
    for (const forbidden of [SECRET, BODY_MARKER, ...signatures, ...signatures.map((s) => s.split('v1=')[1]!)])
      expect(recorded).not.toContain(forbidden)
  })

  it('refuses bad options at construction with a message that names the fix', () => {
    expect(() => otelTracing({ tracerProvidr: sdk } as never)).toThrow(/did you mean 'tracerProvider'/)
    expect(() => otelTracing({ tracerProvider: {} as never })).toThrow(TypeError)
  })
})
