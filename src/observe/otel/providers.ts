/**
 * Internal: where the tracer and the meter come from, and how "no SDK" is
 * recognised so that it costs nothing.
 *
 * The global tracer provider of `@opentelemetry/api` is a proxy that hands
 * out no-op tracers until an SDK sets its delegate. `getDelegateTracer()`
 * answers `undefined` in that case without allocating anything, so a
 * delivery without an SDK is one global lookup and one call. Asking per
 * delivery (instead of once) picks up an SDK registered after the receiver
 * was built, and one replaced in tests.
 *
 * @module
 */
import { createNoopMeter, metrics, trace, type Meter, type MeterProvider, type Tracer } from '@opentelemetry/api'
import type { TracerProvider } from '@opentelemetry/api'
import { SCOPE } from './names.js'

interface DelegatingProvider extends TracerProvider {
  getDelegateTracer?(name: string): Tracer | undefined
}

/** The tracer to use now, or undefined when no SDK is registered. */
export function tracerSource(explicit: TracerProvider | undefined): () => Tracer | undefined {
  if (explicit) {
    const tracer = explicit.getTracer(SCOPE)
    return () => tracer
  }
  return function globalTracer() {
    const provider = trace.getTracerProvider() as DelegatingProvider
    return typeof provider.getDelegateTracer === 'function'
      ? provider.getDelegateTracer(SCOPE)
      : provider.getTracer(SCOPE)
  }
}

const NoopMeter = createNoopMeter().constructor as abstract new () => Meter

/**
 * The meter of `provider`, or undefined for the API's no-op one (the global
 * meter provider when no SDK is registered: unlike tracing it is no proxy).
 */
export function meterOf(provider: MeterProvider): Meter | undefined {
  const meter = provider.getMeter(SCOPE)
  return meter instanceof NoopMeter ? undefined : meter
}

/** The meter provider to use now: the one given, else the global one. */
export function meterProviderSource(explicit: MeterProvider | undefined): () => MeterProvider {
  return explicit ? () => explicit : () => metrics.getMeterProvider()
}
