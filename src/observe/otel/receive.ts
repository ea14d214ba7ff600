/**
 * Internal: the `hookguard.receive` span of one delivery and its step
 * children (`hookguard.verify`, `.reserve`, `.enqueue`, `.complete`).
 *
 * Inside an active span — the SERVER span `@opentelemetry/instrumentation-http`
 * (or a framework instrumentation) starts for the request — the receive span
 * is an INTERNAL child of it, so one trace holds the HTTP request and what
 * hookguard did with it. With no active span it is the SERVER span itself.
 * An incoming `traceparent` is not read here: a webhook comes from a third
 * party, and the HTTP instrumentation decides whether to trust it.
 *
 * @module
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import type { ReceiveSummary, ReceiveTrace, TraceStep } from '../../types/index.js'
import { codeOf } from '../internal/labels.js'
import { inject } from './carrier.js'
import { ATTR, errorType, methodAttribute, SPAN } from './names.js'

export interface ReceiveStart {
  method: string
  provider: string
  receiver: string
}

function fail(span: Span, type: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: type })
  span.setAttribute(ATTR.errorType, type)
}

class ReceiveSpan implements ReceiveTrace {
  /** Steps entered and not yet left. A step the pipeline leaves by throwing ends with the delivery. */
  private open: Partial<Record<TraceStep, Span>> = {}

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  enter(step: TraceStep): void {
    try {
      this.open[step]?.end()
      this.open[step] = this.tracer.startSpan(`hookguard.${step}`, { kind: SpanKind.INTERNAL }, this.context)
    } catch {
      // Tracing observes; it never fails a delivery.
    }
  }

  leave(step: TraceStep, error?: unknown): void {
    const span = this.open[step]
    if (!span) return
    delete this.open[step]
    try {
      if (error !== undefined) fail(span, typeof error === 'string' ? error.slice(0, 200) : errorType(error))
      span.end()
    } catch {
      // As above.
    }
  }

  carrier(): Record<string, string> | undefined {
    try {
      return inject(this.context)
    } catch {
      return undefined
    }
  }

  end(summary: ReceiveSummary): void {
    const { outcome, status } = summary
    const code = codeOf(outcome)
    const refused = outcome.kind === 'rejected' || outcome.kind === 'unavailable'
    for (const span of Object.values(this.open)) {
      if (refused) fail(span, code)
      span.end()
    }
    this.open = {}
    const span = this.span
    span.setAttribute(ATTR.receiver, outcome.receiver)
    span.setAttribute(ATTR.outcome, outcome.kind)
    span.setAttribute(ATTR.status, status)
    span.setAttribute(ATTR.bodySize, summary.bodySize)
    if (code !== '') span.setAttribute(ATTR.code, code)
    if (summary.eventId !== undefined) span.setAttribute(ATTR.eventId, summary.eventId)
    if (summary.type !== undefined) span.setAttribute(ATTR.eventType, summary.type)
    // 4xx is the sender's mistake, not the server's: only 5xx marks the span failed (HTTP semantic conventions).
    if (status >= 500) fail(span, code || String(status))
    span.end()
  }
}

/** Start the receive span, or undefined when it would not be recorded (sampled out). */
export function startReceiveSpan(tracer: Tracer, request: ReceiveStart): ReceiveTrace | undefined {
  const parent = context.active()
  const enclosing = trace.getSpanContext(parent)
  const kind = enclosing && trace.isSpanContextValid(enclosing) ? SpanKind.INTERNAL : SpanKind.SERVER
  const attributes = {
    [ATTR.provider]: request.provider,
    [ATTR.receiver]: request.receiver,
    [ATTR.method]: methodAttribute(request.method),
  }
  const span = tracer.startSpan(SPAN.receive, { kind, attributes }, parent)
  if (!span.isRecording()) {
    span.end()
    return undefined
  }
  return new ReceiveSpan(tracer, span, trace.setSpan(parent, span))
}
