/**
 * Internal: the trace context carried with a queued event in `event.meta`
 * (`traceparent`, `tracestate`), so the worker's span links back to the
 * request — across processes and through every queue, since meta is plain
 * strings.
 *
 * Written through the API's propagator (whatever the app registered); when
 * that wrote no `traceparent` (no propagator registered, or B3 only), the
 * W3C form is written here. Only those two keys are carried: baggage stays
 * out of queue rows.
 *
 * @module
 */
import {
  createTraceState,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api'

type Carrier = Record<string, string>

const KEYS = new Set(['traceparent', 'tracestate'])

const setter: TextMapSetter<Carrier> = {
  set(carrier, key, value) {
    if (KEYS.has(key)) carrier[key] = value
  },
}

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier).filter((key) => KEYS.has(key)),
  get: (carrier, key) => (KEYS.has(key) && typeof carrier[key] === 'string' ? carrier[key] : undefined),
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0')
}

/** `traceparent` (and `tracestate`) of the span in `context`, or undefined when it has none. */
export function inject(context: Context): Carrier | undefined {
  const carrier: Carrier = {}
  propagation.inject(context, carrier, setter)
  if (carrier.traceparent === undefined) {
    const span = trace.getSpanContext(context)
    if (!span || !isSpanContextValid(span)) return undefined
    carrier.traceparent = `00-${span.traceId}-${span.spanId}-${hex2(span.traceFlags)}`
    const state = span.traceState?.serialize()
    if (state) carrier.tracestate = state
  }
  return carrier
}

/** A W3C `traceparent` parsed strictly (version 00 exact; later versions by their known prefix). */
export function parseTraceparent(value: string, state: string | undefined): SpanContext | undefined {
  const match = TRACEPARENT.exec(value)
  if (!match) return undefined
  const [, version, traceId, spanId, flags, rest] = match
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  const context: SpanContext = { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16), isRemote: true }
  if (!isSpanContextValid(context)) return undefined
  if (typeof state === 'string' && state !== '') context.traceState = createTraceState(state)
  return context
}

/** The request's span context from `event.meta`, or undefined when none travelled. */
export function extract(meta: Readonly<Record<string, string>> | undefined): SpanContext | undefined {
  if (!meta || typeof meta.traceparent !== 'string') return undefined
  const carrier = meta as Carrier
  const viaPropagator = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier, getter))
  if (viaPropagator && isSpanContextValid(viaPropagator)) return viaPropagator
  return parseTraceparent(carrier.traceparent!, carrier.tracestate)
}
