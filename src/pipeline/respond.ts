/**
 * The last step: what the sender gets back. Small JSON bodies, `no-store`,
 * and a `hookguard-outcome` header on every answer. 401s share one body:
 * which check failed is for logs, not for the sender.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import type { HandleResult, HandshakeResponse, Outcome, QueuedEvent } from '../types/index.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'

const JSON_TYPE = 'application/json; charset=utf-8'

function json(status: number, body: string, outcome: Outcome, kind: string): HandleResult {
  if (status === 204)
    return { status, headers: { 'cache-control': 'no-store', 'hookguard-outcome': kind }, body: '', outcome }
  return {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'hookguard-outcome': kind },
    body,
    outcome,
  }
}

/** What JSON.stringify escapes: a quote, a backslash, a control character, a surrogate (when lone). */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/**
 * `JSON.stringify(id)`, for the answer body: the id between quotes when
 * nothing in it needs an escape, which is what providers send; one regular
 * expression test costs a quarter of the builtin's call.
 */
export function jsonString(id: string): string {
  return NEEDS_ESCAPE.test(id) ? JSON.stringify(id) : `"${id}"`
}

function eventOutcome<K extends 'accepted' | 'duplicate' | 'in_flight' | 'ignored'>(
  kind: K,
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
): Extract<Outcome, { kind: K }> {
  const outcome = { kind, provider: config.provider.name, receiver: delivery.receiver, id: event.id, key: event.key }
  return withType(outcome as Extract<Outcome, { kind: K }>, event.type)
}

function withType<O extends { type?: string }>(outcome: O, type: string | undefined): O {
  if (type !== undefined) outcome.type = type
  return outcome
}

/** The provider's own answer to a delivery it accepted (Discord), else `result`. Never fails the request. */
function acknowledged(
  config: ReceiverConfig,
  result: HandleResult,
  event: QueuedEvent,
  duplicate: boolean,
): HandleResult {
  const provider = config.provider
  if (typeof provider.acknowledge !== 'function') return result
  let answer: HandshakeResponse | undefined
  try {
    answer = provider.acknowledge(event, duplicate)
  } catch {
    config.logger.warn({ provider: provider.name }, 'provider acknowledge() threw; sent the default body')
    return result
  }
  if (!answer || typeof answer.body !== 'string') return result
  const status = answer.status ?? config.successStatus
  if (status < 200 || status > 299) return result
  return Object.assign({}, result, {
    status,
    headers: Object.assign({}, result.headers, answer.headers),
    body: answer.body,
  })
}

export function accepted(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  warning?: string,
): HandleResult {
  const outcome = eventOutcome('accepted', config, delivery, event)
  if (warning !== undefined) outcome.warning = warning
  const body = `{"ok":true,"status":"accepted","id":${jsonString(event.id)}}`
  return acknowledged(config, json(config.successStatus, body, outcome, 'accepted'), event, false)
}

export function duplicate(config: ReceiverConfig, delivery: Delivery, event: QueuedEvent): HandleResult {
  const body = `{"ok":true,"status":"duplicate","id":${jsonString(event.id)}}`
  const result = json(config.successStatus, body, eventOutcome('duplicate', config, delivery, event), 'duplicate')
  result.headers['hookguard-duplicate'] = 'true'
  return acknowledged(config, result, event, true)
}

/** No handler for this type and `unhandled: 'ack'`: acknowledged, never enqueued. */
export function ignored(config: ReceiverConfig, delivery: Delivery, event: QueuedEvent): HandleResult {
  const body = `{"ok":true,"status":"ignored","id":${jsonString(event.id)}}`
  return acknowledged(
    config,
    json(config.successStatus, body, eventOutcome('ignored', config, delivery, event), 'ignored'),
    event,
    false,
  )
}

export function inFlight(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  retryAfterMs: number | undefined,
): HandleResult {
  const body = '{"ok":false,"error":{"code":"event.in_flight","message":"Event is being processed; retry later"}}'
  const result = json(409, body, eventOutcome('in_flight', config, delivery, event), 'in_flight')
  result.headers['retry-after'] = String(Math.min(30, Math.max(1, Math.ceil((retryAfterMs ?? 5000) / 1000))))
  return result
}

export function handshake(
  config: ReceiverConfig,
  delivery: Delivery,
  answer: HandshakeResponse,
  type: string | undefined,
): HandleResult {
  const outcome: Extract<Outcome, { kind: 'handshake' }> = {
    kind: 'handshake',
    provider: config.provider.name,
    receiver: delivery.receiver,
  }
  withType(outcome, type)
  return {
    status: answer.status ?? 200,
    headers: Object.assign(
      { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      answer.headers,
      { 'hookguard-outcome': 'handshake' },
    ),
    body: answer.body,
    outcome,
  }
}

/** A rejection (4xx/5xx) as a response. */
export function failure(config: ReceiverConfig, error: HookguardError, delivery?: Delivery): HandleResult {
  const receiver = delivery?.receiver ?? config.receiverName
  const key = delivery?.event?.key
  const unavailable = error.status === 503
  const provider = config.provider.name
  const outcome: Outcome = unavailable
    ? { kind: 'unavailable', provider, receiver, code: error.code, status: error.status, reason: error.reason }
    : { kind: 'rejected', provider, receiver, code: error.code, status: error.status, reason: error.reason }
  if (unavailable && key !== undefined) (outcome as { key?: string }).key = key
  const code = error.status === 401 ? 'unauthorized' : error.code
  const body = `{"ok":false,"error":{"code":${JSON.stringify(code)},"message":${JSON.stringify(error.message)}}}`
  const result = json(error.status, body, outcome, outcome.kind)
  Object.assign(result.headers, error.headers)
  if (unavailable) result.headers['retry-after'] ??= config.retryAfter
  if (error.code === 'method.not_allowed')
    result.headers.allow = ['POST', ...(config.provider.handshakeMethods ?? [])].join(', ')
  return result
}
