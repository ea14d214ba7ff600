/**
 * Internal: the span, metric and attribute names of `hookguard/otel`.
 * `hookguard.*` for what only hookguard knows; OpenTelemetry semantic
 * convention names (`http.*`, `error.type`) where one applies.
 *
 * @module
 */

/** Instrumentation scope of the tracer and the meter. */
export const SCOPE = 'hookguard'

export const SPAN = {
  receive: 'hookguard.receive',
  handle: 'hookguard.handle',
} as const

export const ATTR = {
  provider: 'hookguard.provider',
  receiver: 'hookguard.receiver',
  outcome: 'hookguard.outcome',
  code: 'hookguard.code',
  eventId: 'hookguard.event.id',
  eventType: 'hookguard.event.type',
  attempt: 'hookguard.attempt',
  deliveryId: 'hookguard.delivery.id',
  result: 'hookguard.result',
  method: 'http.request.method',
  status: 'http.response.status_code',
  bodySize: 'http.request.body.size',
  errorType: 'error.type',
} as const

export const METRIC = {
  deliveries: 'hookguard.deliveries',
  receiveDuration: 'hookguard.receive.duration',
  handlerRuns: 'hookguard.handler.runs',
  handlerDuration: 'hookguard.handler.duration',
  queueDepth: 'hookguard.queue.depth',
  queueLag: 'hookguard.queue.lag',
} as const

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'])

/** `http.request.method` as the semantic conventions want it: a known method, else `_OTHER`. */
export function methodAttribute(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER'
}

/** What an error is, for `error.type` and a span status: a hookguard code, an error class name, or 'Error'. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && /^[a-z_]+\.[a-z_.]+$/.test(code)) return code
    const name = (error as { name?: unknown }).name
    if (typeof name === 'string' && name !== '') return name.slice(0, 100)
  }
  return 'Error'
}
