/**
 * The receiver's resolved configuration: what every pipeline step reads.
 * Built once by `createReceiver` (src/receiver/options.ts), never per request.
 *
 * @module
 */
import type { HeaderRedactor } from '../internal/headers.js'
import type { DirectQueue, DirectStore } from '../internal/in-process.js'
import type { AtomicIntake, DedupeStore, HandleResult, Logger, Provider, WebhookQueue } from '../types/index.js'
import type { ReceiveTrace } from '../types/index.js'
import type { Delivery } from './delivery.js'

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

/** What a `name` function sees: the request without its (unverified) body. */
export interface NameRequest {
  method: string
  url?: string
  headers: Readonly<Record<string, string | readonly string[]>>
}

/** Something that watches deliveries: logs, metrics, the archive, traces. Must never throw. */
export interface Instrument {
  /** A delivery starts; a tracer returns its trace. */
  begin?(delivery: Delivery): ReceiveTrace | undefined
  /** The answer is decided. `durationMs` is 0 unless some instrument asked for timing. */
  end(delivery: Delivery, result: HandleResult, durationMs: number): void
}

/** Which event types have a handler, for `unhandled: 'ack'`. */
export interface TypeRoutes {
  handles(type: string | undefined): boolean
}

export interface ReceiverConfig {
  readonly provider: Provider
  /** The receiver name (for a `name` function, the fallback shown before a request resolves it). */
  readonly receiverName: string
  /** Per-request receiver name (tenant), when `name` is a function. */
  readonly nameOf: ((request: NameRequest) => string | Promise<string>) | undefined
  /** `provider:name:` for a static name. */
  readonly keyPrefix: string
  readonly now: () => number
  readonly maxBodyBytes: number
  readonly leaseMs: number
  readonly retentionMs: number
  /** Budget of one store call, ms; 0 for an in-process store. */
  readonly storeBudgetMs: number
  /** Budget of one enqueue, ms; 0 for an in-process queue. */
  readonly queueBudgetMs: number
  readonly storeTimeoutMs: number
  readonly queueTimeoutMs: number
  /** `Retry-After` of a 503, seconds, as text. */
  readonly retryAfter: string
  readonly successStatus: number
  readonly schema: StandardSchema | undefined
  readonly store: DedupeStore
  readonly queue: WebhookQueue
  /** Dedupe and enqueue in one transaction, when the queue and the store share a database. */
  readonly intake: AtomicIntake | undefined
  /** The synchronous calls of an in-process store (memoryStore). */
  readonly directStore: DirectStore | undefined
  /** The synchronous enqueue of an in-process queue (memoryQueue). */
  readonly directQueue: DirectQueue | undefined
  readonly logger: Logger
  readonly redactor: HeaderRedactor
  /** Set with `unhandled: 'ack'`: types without a handler are acknowledged, not enqueued. */
  readonly ackUnhandled: TypeRoutes | undefined
  readonly instruments: readonly Instrument[]
  /** Some instrument needs the duration of each delivery. */
  readonly timed: boolean
  /** The archive wants a delivery id per request. */
  readonly archived: boolean
}
