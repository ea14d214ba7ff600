/**
 * Internal: the `hookguard.handle` span of one handler run, a CONSUMER span
 * linked (not parented) to the request's span through the context carried
 * in `event.meta`: the run happens later, maybe in another process and
 * after retries, so it starts a trace of its own (or nests in the worker's
 * own active span, say a job runner's) and points back.
 *
 * @module
 */
import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api'
import { errorText } from '../../internal/log.js'
import type { WebhookEvent } from '../../types/index.js'
import { extract } from './carrier.js'
import { ATTR, errorType, SPAN } from './names.js'

export interface HandleSpan {
  /** The run ended; failed when `error` is given (recorded as an exception). */
  end(error?: unknown): void
  /** Run `fn` with the handle span active, so spans the handler starts are its children. */
  run<R>(fn: () => R): R
}

function attributesOf(event: WebhookEvent): Attributes {
  const attributes: Attributes = {
    [ATTR.provider]: event.provider,
    [ATTR.eventId]: event.id,
    [ATTR.attempt]: event.attempt,
  }
  if (event.type !== undefined) attributes[ATTR.eventType] = event.type
  if (event.deliveryId !== undefined) attributes[ATTR.deliveryId] = event.deliveryId
  return attributes
}

/**
 * The worker's own active context, without the request's span: an in-process
 * queue can run the handler in the async context of the `enqueue` call, and
 * the run must be linked to the request, not nested in a span that already ended.
 */
function ambient(carried: SpanContext | undefined): Context {
  const active = context.active()
  if (carried && trace.getSpanContext(active)?.traceId === carried.traceId) return trace.deleteSpan(active)
  return active
}

export function startHandleSpan(tracer: Tracer, event: WebhookEvent): HandleSpan | undefined {
  const carried = extract(event.meta)
  const links: Link[] = carried ? [{ context: carried }] : []
  const parent = ambient(carried)
  const span = tracer.startSpan(
    SPAN.handle,
    { kind: SpanKind.CONSUMER, attributes: attributesOf(event), links },
    parent,
  )
  if (!span.isRecording()) {
    span.end()
    return undefined
  }
  const active = trace.setSpan(parent, span)
  return {
    end(error?: unknown) {
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : String(error))
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) })
        span.setAttribute(ATTR.errorType, errorType(error))
      }
      span.end()
    },
    run: (fn) => context.with(active, fn),
  }
}
