/**
 * The receiver pipeline: read → verify → parse → identify → reserve →
 * enqueue → complete → 2xx. Framework-agnostic: adapters hand it the raw
 * bytes and write back what it returns.
 *
 * @module
 */
import { configError, HookguardError, isHookguardError, type HookguardErrorCode } from './errors.js'
import { normalizeHeaders, redactHeaders } from './headers.js'
import { checkBeforeReading } from './precheck.js'
import { memoryQueue } from './queues/memory.js'
import { parseJson } from './providers/shared.js'
import { memoryStore } from './stores/memory.js'
import {
  SIGN,
  type DedupeStore,
  type HandleResult,
  type Outcome,
  type Provider,
  type ProviderRequest,
  type QueuedEvent,
  type WebhookEvent,
  type WebhookHandler,
  type WebhookQueue,
  type WebhookRequest,
} from './types/index.js'

/** A Standard Schema (zod 4, valibot, arktype …) that validates the payload. */
export interface StandardSchema<T = unknown> {
  readonly '~standard': {
    validate(
      value: unknown,
    ):
      | { value: T; issues?: undefined }
      | { issues: ReadonlyArray<unknown> }
      | Promise<{ value: T; issues?: undefined } | { issues: ReadonlyArray<unknown> }>
  }
}

export interface Logger {
  warn(message: string): void
  error(message: string): void
}

export interface OutcomeContext {
  method: string
  url?: string
  durationMs: number
}

export interface ReceiverOptions<T = unknown> {
  /** Required: how deliveries are verified, from a provider factory such as `stripe({ secret })`. */
  provider: Provider
  /** Dedupe store. Default `memoryStore()`. */
  store?: DedupeStore
  /** Queue that holds accepted events. Default `memoryQueue()`. */
  queue?: WebhookQueue
  /** Run by the queue's worker after the 2xx, at least once per event, with retries. */
  handler?: WebhookHandler<T>
  /** Validates the parsed payload (any Standard Schema, such as zod 4); failures are 400. */
  schema?: StandardSchema<T>
  /** Receiver name inside dedupe keys, so two endpoints of one provider never collide. Default 'default'. */
  name?: string
  /** Clock in ms. Default `Date.now`. */
  now?: () => number
  /** Largest body accepted, bytes. Default 1 MiB. */
  maxBodyBytes?: number
  /** How long a reservation blocks other deliveries of the same event before it lapses, ms. Default 30 000. */
  leaseMs?: number
  /**
   * How long a completed event id is remembered, ms. Must be at least twice the
   * provider's tolerance. Default 4 days, which covers Stripe's 3-day and
   * Standard Webhooks' ~75-hour retry horizons.
   */
  retentionMs?: number
  /** Time budget of one store call, ms. Past it the request gets 503. Default 1000. */
  storeTimeoutMs?: number
  /** Time budget of one enqueue, ms. Past it the request gets 503. Default 2000. */
  queueTimeoutMs?: number
  /** `Retry-After` sent with 503, seconds. Default 5. */
  retryAfterSeconds?: number
  /** Status of an accepted or duplicate delivery: 200, 201, 202 or 204. Default 200. */
  successStatus?: 200 | 201 | 202 | 204
  /** Called with every outcome, for logs and metrics. Errors it throws are ignored. */
  onOutcome?: (outcome: Outcome, context: OutcomeContext) => void | Promise<void>
  /** Where configuration errors (500) and degraded-path warnings go. Default `console`; `false` for silence. */
  logger?: Logger | false
}

export interface HandleOptions {
  /**
   * Inline mode: instead of the queue, hand the verified event to this
   * function. The dedupe key is completed when it resolves to anything but
   * `false`, and released when it returns `false` or throws (the error is
   * rethrown to the caller).
   */
  deliver?: (event: WebhookEvent) => Promise<unknown> | unknown
}

export interface Receiver {
  readonly provider: Provider
  readonly store: DedupeStore
  readonly queue: WebhookQueue
  readonly maxBodyBytes: number
  /** Run the pipeline on one request. Never rejects for anything a client sends. */
  handle(request: WebhookRequest, options?: HandleOptions): Promise<HandleResult>
  /** Build the response for an error found before `handle` (body too large, read timeout …). */
  reject(error: unknown, request?: { method?: string; url?: string }): HandleResult
  /** Stop accepting (new requests get 503), wait for requests in progress, drain the worker. */
  close(): Promise<void>
}

const MiB = 1024 * 1024
const MAX_ID_LENGTH = 512
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/
const DEFAULT_RETENTION_MS = 4 * 24 * 3600 * 1000
const BRAND = Symbol.for('hookguard.receiver')

export function isReceiver(value: unknown): value is Receiver {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

function positive(name: string, value: unknown, fallback: number, integer = true): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw configError(`${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)})`)
  }
  return value
}

function checkProvider(provider: unknown): Provider {
  const p = provider as Provider
  if (
    !p ||
    typeof p !== 'object' ||
    typeof p.verify !== 'function' ||
    typeof p.describe !== 'function' ||
    typeof p.name !== 'string'
  ) {
    throw configError(
      'createReceiver: options.provider is required — pass one from a factory, e.g. stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET })',
    )
  }
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(p.name))
    throw configError(`provider name must match [a-z0-9][a-z0-9_-]* (got ${JSON.stringify(p.name)})`)
  return p
}

class Timeout extends Error {}

/** Carries an inline handler's own error past the pipeline's error mapping. */
class DeliveryFailed extends Error {
  constructor(readonly original: unknown) {
    super('inline delivery failed')
  }
}

/** Resolves like `promise`, or rejects with Timeout after `ms`. */
function within<T>(promise: Promise<T> | T, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    Promise.resolve(promise),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Create a receiver. Bad configuration throws a TypeError here, not on the first request. */
export function createReceiver<T = unknown>(options: ReceiverOptions<T>): Receiver {
  if (!options || typeof options !== 'object')
    throw configError('createReceiver needs an options object with at least { provider }')
  const provider = checkProvider(options.provider)
  const name = options.name ?? 'default'
  if (typeof name !== 'string' || name === '' || name.length > 128)
    throw configError('createReceiver: name must be a non-empty string of at most 128 characters')
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError('createReceiver: now must be a function returning milliseconds')
  const maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes, MiB)
  const storeTimeoutMs = positive('storeTimeoutMs', options.storeTimeoutMs, 1000)
  const queueTimeoutMs = positive('queueTimeoutMs', options.queueTimeoutMs, 2000)
  const leaseMs = positive('leaseMs', options.leaseMs, 30_000)
  if (leaseMs < storeTimeoutMs * 2 + queueTimeoutMs) {
    throw configError(
      `leaseMs (${leaseMs}) must outlast one delivery's store and queue budgets (${storeTimeoutMs * 2 + queueTimeoutMs} ms)`,
    )
  }
  const retentionMs = positive('retentionMs', options.retentionMs, DEFAULT_RETENTION_MS)
  if (provider.tolerance !== undefined && retentionMs < provider.tolerance * 2000) {
    throw configError(
      `retentionMs (${retentionMs}) must be at least twice the ${provider.name} tolerance (${provider.tolerance * 2000} ms), ` +
        'or a replay inside the tolerance window could be accepted again',
    )
  }
  const retryAfter = String(positive('retryAfterSeconds', options.retryAfterSeconds, 5))
  const successStatus = options.successStatus ?? 200
  if (![200, 201, 202, 204].includes(successStatus)) throw configError('successStatus must be 200, 201, 202 or 204')
  const schema = options.schema
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw configError('schema must be a Standard Schema (zod 4, valibot, arktype …) with a ~standard.validate function')
  }
  const logger: Logger | undefined = options.logger === false ? undefined : (options.logger ?? console)
  const store = options.store ?? memoryStore()
  for (const method of ['reserve', 'complete', 'release'] as const) {
    if (typeof store[method] !== 'function')
      throw configError(`store.${method} must be a function (see the DedupeStore interface)`)
  }
  const queue = options.queue ?? memoryQueue()
  if (typeof queue.enqueue !== 'function')
    throw configError('queue.enqueue must be a function (see the WebhookQueue interface)')
  if (options.handler !== undefined) {
    if (typeof options.handler !== 'function') throw configError('handler must be a function')
    if (typeof queue.process !== 'function')
      throw configError('handler given, but this queue has no process(); run its worker as its docs say')
    void Promise.resolve(queue.process(options.handler as WebhookHandler)).catch((error) =>
      logger?.error(`hookguard: queue worker failed to start: ${String(error)}`),
    )
  }
  const onOutcome = options.onOutcome
  const sensitive = new Set(provider.sensitiveHeaders.map((h) => h.toLowerCase()))
  let closed = false
  let inProgress = 0
  let drained: (() => void) | undefined

  function report(outcome: Outcome, started: number, request: { method?: string; url?: string }): void {
    if (!onOutcome) return
    try {
      const result = onOutcome(outcome, {
        method: request.method ?? '',
        url: request.url,
        durationMs: Date.now() - started,
      })
      if (result && typeof (result as Promise<void>).catch === 'function') (result as Promise<void>).catch(() => {})
    } catch {
      // Hooks are for observation; they never change the response.
    }
  }

  function json(status: number, body: unknown, outcome: Outcome, headers: Record<string, string> = {}): HandleResult {
    const text = status === 204 ? '' : JSON.stringify(body)
    return {
      status,
      headers: {
        ...(status === 204 ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        'cache-control': 'no-store',
        ...headers,
      },
      body: text,
      outcome,
    }
  }

  /** The provider's own answer to a delivery it accepted (Discord), else the default. Never fails the request. */
  function acknowledged(result: HandleResult, event: QueuedEvent, duplicate: boolean): HandleResult {
    if (typeof provider.acknowledge !== 'function') return result
    let answer
    try {
      answer = provider.acknowledge(event, duplicate)
    } catch {
      logger?.warn(`hookguard: ${provider.name}.acknowledge threw; sent the default body`)
      return result
    }
    if (!answer || typeof answer.body !== 'string') return result
    const status = answer.status ?? successStatus
    if (status < 200 || status > 299) return result
    return { ...result, status, headers: { ...result.headers, ...answer.headers }, body: answer.body }
  }

  function errorResult(error: HookguardError, key?: string): HandleResult {
    const unavailable = error.status === 503
    const outcome: Outcome = unavailable
      ? {
          kind: 'unavailable',
          provider: provider.name,
          code: error.code,
          status: error.status,
          reason: error.reason,
          key,
        }
      : { kind: 'rejected', provider: provider.name, receiver: name, code: error.code, status: error.status, reason: error.reason }
    // 401s share one body: which check failed is for logs, not for the sender.
    const code = error.status === 401 ? 'unauthorized' : error.code
    const headers: Record<string, string> = { 'hookguard-outcome': outcome.kind, ...error.headers }
    if (unavailable) headers['retry-after'] ??= retryAfter
    if (error.code === 'method.not_allowed') headers.allow = 'POST'
    if (error.status === 500) logger?.error(`hookguard: ${error.reason ?? error.message}`)
    return json(error.status, { ok: false, error: { code, message: error.message } }, outcome, headers)
  }

  function toHookguardError(error: unknown, fallback: HookguardErrorCode, reason: string): HookguardError {
    if (isHookguardError(error)) return error
    return new HookguardError(fallback, {
      reason: `${reason}: ${error instanceof Error ? error.name : typeof error}`,
      cause: error,
    })
  }

  async function run(request: WebhookRequest, handleOptions: HandleOptions | undefined): Promise<HandleResult> {
    if (closed) throw new HookguardError('receiver.closed', { reason: 'receiver is closing' })
    const method = typeof request.method === 'string' ? request.method.toUpperCase() : ''
    const headers = normalizeHeaders(request.headers)
    const early = checkBeforeReading(method, headers, maxBodyBytes)
    if (early) throw early
    const raw: unknown = request.body
    const body =
      typeof raw === 'string'
        ? new TextEncoder().encode(raw)
        : raw instanceof ArrayBuffer
          ? new Uint8Array(raw)
          : raw === undefined || raw === null
            ? new Uint8Array(0)
            : raw
    if (!(body instanceof Uint8Array)) {
      throw new HookguardError('body.consumed', {
        reason:
          'the body reached hookguard already parsed; pass the raw bytes (Uint8Array/Buffer) — mount hookguard before any JSON body parser',
      })
    }
    if (body.length > maxBodyBytes)
      throw new HookguardError('body.too_large', { reason: `body of ${body.length} bytes exceeds ${maxBodyBytes}` })

    const providerRequest: ProviderRequest = { method, url: request.url, headers, body, now: now() }
    let verification
    try {
      verification = await provider.verify(providerRequest)
    } catch (error) {
      // A provider that throws something unexpected has still not verified anything.
      throw toHookguardError(error, 'signature.invalid', 'verification threw')
    }
    let payload: unknown
    try {
      payload = provider.parse ? await provider.parse(providerRequest) : parseJson(body)
    } catch (error) {
      throw toHookguardError(error, 'body.malformed', 'parse threw')
    }
    let description
    try {
      description = await provider.describe(payload, providerRequest, verification)
    } catch (error) {
      throw toHookguardError(error, 'body.malformed', 'describe threw')
    }
    const type = description.type ?? verification.type
    if (description.handshake) {
      const { status = 200, headers: extra = {}, body: answer } = description.handshake
      const outcome: Outcome = { kind: 'handshake', provider: provider.name, receiver: name, type }
      return {
        status,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
          ...extra,
          'hookguard-outcome': 'handshake',
        },
        body: answer,
        outcome,
      }
    }
    if (schema) {
      let result
      try {
        result = await schema['~standard'].validate(payload)
      } catch (error) {
        throw new HookguardError('payload.invalid', { reason: 'schema validation threw', cause: error })
      }
      if (result.issues)
        throw new HookguardError('payload.invalid', {
          reason: `payload failed schema validation (${result.issues.length} issues)`,
        })
      payload = result.value
    }
    const id = description.id ?? verification.id
    if (typeof id !== 'string' || id === '')
      throw new HookguardError('id.missing', { reason: 'no event id in the delivery' })
    // Ids become store keys: bounded, and free of control characters (PostgreSQL text refuses NUL).
    if (id.length > MAX_ID_LENGTH || CONTROL_RE.test(id))
      throw new HookguardError('id.invalid', { reason: 'event id is over-long or has control characters' })
    const key = `${provider.name}:${encodeURIComponent(name)}:${id}`
    const event: QueuedEvent = {
      id,
      key,
      provider: provider.name,
      ...(type !== undefined ? { type } : {}),
      ...(verification.timestamp !== undefined ? { timestamp: verification.timestamp } : {}),
      receivedAt: providerRequest.now,
      payload,
      headers: redactHeaders(headers, sensitive),
    }

    let reservation
    try {
      reservation = await within(store.reserve(key, leaseMs), storeTimeoutMs)
    } catch (error) {
      const timedOut = error instanceof Timeout
      throw new HookguardError(timedOut ? 'store.timeout' : 'store.unavailable', {
        reason: timedOut ? `reserve took over ${storeTimeoutMs} ms` : 'reserve failed',
        cause: error,
      })
    }
    const base = { provider: provider.name, receiver: name, id, key, ...(type !== undefined ? { type } : {}) }
    if (reservation.status === 'duplicate') {
      return acknowledged(
        json(
          successStatus,
          { ok: true, status: 'duplicate', id },
          { kind: 'duplicate', ...base },
          { 'hookguard-outcome': 'duplicate', 'hookguard-duplicate': 'true' },
        ),
        event,
        true,
      )
    }
    if (reservation.status === 'in_flight') {
      const seconds = Math.min(30, Math.max(1, Math.ceil((reservation.retryAfterMs ?? 5000) / 1000)))
      return json(
        409,
        { ok: false, error: { code: 'event.in_flight', message: 'Event is being processed; retry later' } },
        { kind: 'in_flight', ...base },
        {
          'hookguard-outcome': 'in_flight',
          'retry-after': String(seconds),
        },
      )
    }
    if (reservation.status !== 'reserved' || typeof reservation.token !== 'string') {
      throw new HookguardError('store.unavailable', { reason: 'store.reserve returned an unknown result' })
    }
    const token = reservation.token
    const release = async (): Promise<void> => {
      try {
        await within(store.release(key, token), storeTimeoutMs)
      } catch {
        logger?.warn(`hookguard: could not release ${key}; it frees itself when the ${leaseMs} ms lease ends`)
      }
    }

    if (handleOptions?.deliver) {
      let delivered: unknown
      try {
        delivered = await handleOptions.deliver({ ...event, attempt: 1 })
      } catch (error) {
        await release()
        throw new DeliveryFailed(error)
      }
      if (delivered === false) {
        await release()
        throw new HookguardError('handler.failed', { reason: 'inline handler did not succeed' })
      }
    } else {
      try {
        await within(queue.enqueue(event), queueTimeoutMs)
      } catch (error) {
        await release()
        const timedOut = error instanceof Timeout
        throw new HookguardError(timedOut ? 'queue.timeout' : 'queue.unavailable', {
          reason: timedOut ? `enqueue took over ${queueTimeoutMs} ms` : 'enqueue failed',
          cause: error,
        })
      }
    }

    let warning: string | undefined
    try {
      const completed = await within(store.complete(key, token, retentionMs), storeTimeoutMs)
      if (completed === false)
        warning = 'reservation lapsed before completion; the queue dedupes a second enqueue by key'
    } catch {
      // The event is durably queued, so the 2xx is still right; a retry within the lease gets 409, later ones re-enqueue idempotently.
      warning = 'store.complete failed after enqueue'
    }
    if (warning) logger?.warn(`hookguard: ${key}: ${warning}`)
    return acknowledged(
      json(
        successStatus,
        { ok: true, status: 'accepted', id },
        { kind: 'accepted', ...base, ...(warning ? { warning } : {}) },
        { 'hookguard-outcome': 'accepted' },
      ),
      event,
      false,
    )
  }

  const receiver: Receiver & { [BRAND]: true } = {
    [BRAND]: true,
    provider,
    store,
    queue,
    maxBodyBytes,
    async handle(request, handleOptions) {
      const started = Date.now()
      inProgress++
      let result: HandleResult
      try {
        result = await run(request, handleOptions)
      } catch (error) {
        if (error instanceof DeliveryFailed) {
          report(
            {
              kind: 'rejected',
              provider: provider.name,
              code: 'handler.failed',
              status: 500,
              reason: 'inline handler threw',
            },
            started,
            request,
          )
          throw error.original
        }
        result = errorResult(toHookguardError(error, 'signature.invalid', 'unexpected error'))
      } finally {
        inProgress--
        if (inProgress === 0) drained?.()
      }
      report(result.outcome, started, request)
      return result
    },
    reject(error, request = {}) {
      const result = errorResult(toHookguardError(error, 'body.aborted', 'request failed before handling'))
      report(result.outcome, Date.now(), request)
      return result
    },
    async close() {
      closed = true
      if (inProgress > 0) await new Promise<void>((resolve) => (drained = resolve))
      await queue.close?.()
      await store.close?.()
    },
  }
  return receiver
}

/** Does this provider carry a signing function for `hookguard/testing`? */
export function canSign(provider: Provider): boolean {
  return typeof provider[SIGN] === 'function'
}
