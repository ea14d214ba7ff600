/**
 * The receiver's options, documented where they are declared, and their
 * validation in one place: bad configuration throws a TypeError here, at
 * construction, never on the first request.
 *
 * @module
 */
import type { StandardSchema, NameRequest } from '../pipeline/config.js'
import type { OrderingOptions } from '../worker/ordering.js'
import type { HandlerMap } from '../worker/routes.js'
import type {
  DedupeStore,
  DeliveryArchive,
  EventMap,
  EventsOf,
  Logger,
  NoEvents,
  PayloadOf,
  Provider,
  WebhookHandler,
  WebhookMetrics,
  WebhookQueue,
  WebhookTracing,
} from '../types/index.js'
import type { OutcomeHook } from './instruments/hooks.js'

/**
 * The receiver's options. `T` is the payload type handlers see; `E` the
 * event map that types `handlers` by event type. {@link createReceiver}
 * infers both: from `schema` when given, else from the provider.
 */
export interface ReceiverOptions<T = unknown, E extends EventMap = NoEvents> {
  /** Required: how deliveries are verified, from a provider factory such as `stripe({ secret })`. */
  provider: Provider
  /**
   * Dedupe store. Use a shared one (`redisStore`, `postgresStore`,
   * `sqliteStore`) when several processes receive the same endpoint.
   * @default memoryStore()
   */
  store?: DedupeStore
  /**
   * Queue that holds accepted events until a handler has run.
   * @default memoryQueue()
   */
  queue?: WebhookQueue
  /**
   * Run by the queue's worker after the 2xx, at least once per event, with retries.
   * @default none: events wait in the queue for a worker you run (`createWorker`, `bullmqWorker` …)
   */
  handler?: WebhookHandler<T>
  /**
   * Handlers by event type, instead of `handler`: `{ 'payment_intent.succeeded': fn, 'issues.*': fn, '*': fn }`.
   * The most specific pattern wins: the exact type, then the longest `prefix.*`, then `*`.
   * @default none (give `handler` or `handlers`, not both)
   */
  // NoInfer: the payload type comes from the schema or the provider, never from one handler's parameter.
  handlers?: HandlerMap<NoInfer<T>, E>
  /**
   * Types that no entry of `handlers` matches: `'enqueue'` queues them anyway
   * (the worker records them as ignored), `'ack'` answers 2xx without
   * storing or queueing anything.
   * @default 'enqueue'
   */
  unhandled?: 'ack' | 'enqueue'
  /**
   * The ordering guard: skip an event older than the newest one handled for
   * the same entity (outcome `stale`). `true` uses the provider's default
   * (Stripe, Shopify, Paddle, Standard Webhooks); or give `entity` and
   * `version`. Needs a store with `advance()`.
   * @default undefined (off)
   */
  ordering?: true | OrderingOptions<T>
  /**
   * Validates the parsed payload (any Standard Schema, such as zod 4); failures are 400.
   * @default none (the payload is not validated)
   */
  schema?: StandardSchema<T>
  /**
   * Receiver name inside dedupe keys, so two endpoints of one provider never
   * collide. A function gives a per-request name (the tenant), from the
   * method, URL and headers.
   * @default 'default'
   */
  name?: string | ((request: NameRequest) => string | Promise<string>)
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number
  /** Largest body accepted, bytes. @default 1048576 (1 MiB) */
  maxBodyBytes?: number
  /** How long a reservation blocks other deliveries of the same event before it lapses, ms. @default 30000 */
  leaseMs?: number
  /**
   * How long a completed event id is remembered, ms. At least twice the
   * provider's tolerance. The default covers Stripe's 3-day and Standard
   * Webhooks' ~75-hour retry horizons.
   * @default 345600000 (4 days)
   */
  retentionMs?: number
  /** Time budget of one store call, ms; past it the request gets 503. @default 1000 */
  storeTimeoutMs?: number
  /** Time budget of one enqueue, ms; past it the request gets 503. @default 2000 */
  queueTimeoutMs?: number
  /** `Retry-After` sent with 503, seconds. @default 5 */
  retryAfterSeconds?: number
  /** Status of an accepted or duplicate delivery. @default 200 */
  successStatus?: 200 | 201 | 202 | 204
  /**
   * Called with every outcome, for your own logs and metrics. Errors it throws are ignored.
   * @default none
   */
  onOutcome?: OutcomeHook
  /**
   * Where rejections (warn), 5xx (error) and degraded-path warnings go: a
   * pino-compatible logger, or `false` for silence.
   * @default console
   */
  logger?: Logger | false
  /**
   * Archive every request (bytes, headers, outcome, worker progress) for stats, inspection and replay.
   * @default none (nothing is archived; `receiver.replay()` then throws)
   */
  archive?: DeliveryArchive
  /**
   * Metrics: `prometheusMetrics()` from 'hookguard/prometheus', or your own {@link WebhookMetrics}.
   * @default none
   */
  metrics?: WebhookMetrics
  /**
   * Traces: a span per delivery (`hookguard.receive`, a child per step) and
   * per handler run (`hookguard.handle`, linked to the request), from
   * `otelTracing()` in 'hookguard/otel', or your own {@link WebhookTracing}.
   * @default none
   */
  tracing?: WebhookTracing
}

/**
 * The provider's event map, unless a schema changed the payload type (then
 * every handler gets the schema's output). A provider without a map decides
 * it at once, even while `T` is still generic (as in wrappers of createReceiver).
 */
type EventsFor<P, T> = [keyof EventsOf<P>] extends [never]
  ? NoEvents
  : [T] extends [PayloadOf<P>]
    ? [PayloadOf<P>] extends [T]
      ? EventsOf<P>
      : NoEvents
    : NoEvents

/**
 * Options typed by their provider `P`: the payload `T` is the schema's
 * output when `schema` is given, else the provider's payload type (unknown
 * for generic providers), and `handlers` get the provider's event map.
 * {@link createReceiver} and every adapter's `hookguard()` take this.
 */
export type ReceiverOptionsFor<P extends Provider, T = PayloadOf<P>> = ReceiverOptions<T, EventsFor<P, T>> & {
  provider: P
}

/** Every option name, to catch typos (`handlr`, `toleranceSeconds`) at construction. */
export const RECEIVER_OPTION_NAMES: ReadonlyArray<keyof ReceiverOptions> = [
  'provider',
  'store',
  'queue',
  'handler',
  'handlers',
  'unhandled',
  'ordering',
  'schema',
  'name',
  'now',
  'maxBodyBytes',
  'leaseMs',
  'retentionMs',
  'storeTimeoutMs',
  'queueTimeoutMs',
  'retryAfterSeconds',
  'successStatus',
  'onOutcome',
  'logger',
  'archive',
  'metrics',
  'tracing',
]
