/**
 * With `@opentelemetry/instrumentation-http` (what most Node apps run, often
 * through NodeSDK's auto-instrumentations), the request already has a SERVER
 * span: hookguard's receive span must nest under it as INTERNAL, not start a
 * second SERVER span or a trace of its own.
 */
import { createRequire } from 'node:module'
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createReceiver } from '../../src/index.js'
import { otelTracing } from '../../src/otel.js'
import { deliver, forge, provider, serve, waitFor } from './support.js'

const exporter = new InMemorySpanExporter()
const sdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const http = new HttpInstrumentation()

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(sdk)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  http.setTracerProvider(sdk)
  http.enable()
  // The instrumentation patches node:http when it is required; the ESM import shares the same Server class.
  createRequire(import.meta.url)('node:http')
})
afterAll(async () => {
  http.disable()
  trace.disable()
  propagation.disable()
  context.disable()
  await sdk.shutdown()
})

it('the receive span is an INTERNAL child of the HTTP SERVER span, in the same trace', async () => {
  const receiver = createReceiver({ provider: provider(), handler: () => {}, tracing: otelTracing(), logger: false })
  const server = await serve(receiver)
  try {
    expect((await deliver(server.url, 'evt_http')).status).toBe(200)
    expect((await forge(server.url, 'evt_http_forged')).status).toBe(401)
    await waitFor(() => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length === 2, 'spans')
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'hookguard.handle'), 'handle span')
  } finally {
    await receiver.close()
    await server.close()
  }
  const finished = exporter.getFinishedSpans()
  const httpSpans = finished.filter((span) => span.kind === SpanKind.SERVER)
  expect(httpSpans.map((span) => span.instrumentationScope.name)).toEqual([
    '@opentelemetry/instrumentation-http',
    '@opentelemetry/instrumentation-http',
  ])
  const receives = finished.filter((span) => span.name === 'hookguard.receive')
  expect(receives).toHaveLength(2)
  for (const [index, receive] of receives.entries()) {
    const parent = httpSpans[index]!
    expect(receive.kind).toBe(SpanKind.INTERNAL)
    expect(receive.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
    expect(receive.spanContext().traceId).toBe(parent.spanContext().traceId)
    expect(parent.attributes['http.response.status_code'] ?? parent.attributes['http.status_code']).toBe(
      receive.attributes['http.response.status_code'],
    )
  }
  expect(receives.map((span) => span.attributes['hookguard.outcome'])).toEqual(['accepted', 'rejected'])
  // The handler run links to hookguard's span (where the event was accepted), inside the HTTP trace.
  const handle = finished.find((span) => span.name === 'hookguard.handle')!
  expect(handle.links[0]!.context.spanId).toBe(receives[0]!.spanContext().spanId)
  expect(handle.links[0]!.context.traceId).toBe(httpSpans[0]!.spanContext().traceId)
  // The in-process queue ran it in the request's async context; it is still a trace of its own.
  expect(handle.parentSpanContext).toBeUndefined()
  expect(handle.spanContext().traceId).not.toBe(httpSpans[0]!.spanContext().traceId)
})
