/**
 * The tracing contract: a span per delivery with a child per pipeline step,
 * and a span per handler run linked back to the request through context
 * carried with the queued event. `hookguard/otel` implements it on
 * OpenTelemetry; so can your own tracer.
 *
 * @module
 */
import type { WebhookEvent } from './event.js'
import type { Outcome } from './http.js'

/** The pipeline steps a receive trace sees. */
export type TraceStep = 'verify' | 'reserve' | 'enqueue' | 'complete'

/** What a receive span ends with. */
export interface ReceiveSummary {
  outcome: Outcome
  status: number
  /** Bytes of the request body (0 when it was refused before reading). */
  bodySize: number
  eventId?: string
  type?: string
}

/** The trace of one delivery, driven by the pipeline. Methods must not throw. */
export interface ReceiveTrace {
  /** A step starts (a child span). */
  enter(step: TraceStep): void
  /** The step ends, failed when `error` is given. */
  leave(step: TraceStep, error?: unknown): void
  /** Context to carry with the queued event (`traceparent`, `tracestate`) so the worker's span links back. */
  carrier?(): Record<string, string> | undefined
  /** The answer is decided: the delivery span ends. */
  end(summary: ReceiveSummary): void
}

export interface WebhookTracing {
  /** Start the span of one delivery; undefined skips tracing it. */
  startReceive(request: { method: string; url?: string; provider: string; receiver: string }): ReceiveTrace | undefined
  /** Start the span of one handler run (`event.meta` carries the request's context). */
  startHandle(event: WebhookEvent): HandleSpan | undefined
}

/** The span of one handler run. */
export interface HandleSpan {
  end(error?: unknown): void
  /** Run `fn` with this span active, so spans the handler starts (database, HTTP) nest under it. */
  run?<R>(fn: () => R): R
}
