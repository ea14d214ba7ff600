/**
 * hookguard: receive webhooks safely. Verify over the raw bytes in constant
 * time, reject stale and replayed deliveries, drop duplicates, and answer 2xx
 * only once the event is queued.
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 *
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event) => { console.log(event.type, event.id) },
 * })
 * const result = await receiver.handle({ method: 'POST', headers, body: rawBytes })
 * ```
 *
 * @module
 */
export {
  createReceiver,
  isReceiver,
  type Receiver,
  type ReceiverOptions,
  type ReceiverOptionsFor,
  type ReceiverOrOptions,
  type HandleOptions,
  type OutcomeContext,
  type OutcomeHook,
  type ReplayOptions,
  type ReplayResult,
} from './receiver/index.js'
export type { StandardSchema, NameRequest } from './pipeline/config.js'
export { createWorker, type Worker, type WorkerOptions } from './worker/create.js'
export type { HandlerMap } from './worker/routes.js'
export type { OrderingOptions } from './worker/ordering.js'
export {
  HookguardError,
  isHookguardError,
  ERROR_CODES,
  type HookguardErrorCode,
  type HookguardErrorOptions,
} from './errors.js'
export * from './providers/index.js'
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js'
export { memoryQueue, type MemoryQueue, type MemoryQueueOptions } from './queues/memory.js'
export {
  memoryArchive,
  type ArchivePolicyOptions,
  type MemoryArchive,
  type MemoryArchiveOptions,
} from './archive/memory.js'
export type { RetryOptions } from './queues/retry.js'
export {
  nodeCryptoBackend,
  webCryptoBackend,
  type CryptoBackend,
  type HmacAlgorithm,
  type Piece,
  type PublicKeyAlgorithm,
} from './crypto.js'
export type {
  ArchivePage,
  ArchivePolicy,
  ArchiveQuery,
  ArchiveStats,
  DeadLetter,
  DedupeStore,
  DeliveryArchive,
  DeliveryProgress,
  DeliveryRecord,
  DeliveryState,
  DeliverySummary,
  HandlerResult,
  HandleSpan,
  IntakeResult,
  AtomicIntake,
  ReceiveSummary,
  ReceiveTrace,
  TraceStep,
  WebhookTracing,
  LogFields,
  Logger,
  OutcomeKind,
  QueueStats,
  WebhookMetrics,
  WorkerHooks,
  EventDescription,
  EventMap,
  EventsOf,
  NoEvents,
  PayloadOf,
  HandleResult,
  HandshakeRequest,
  HandshakeResponse,
  HeadersInput,
  HeaderValue,
  Outcome,
  Provider,
  ProviderRequest,
  QueuedEvent,
  ReserveResult,
  SignedRequest,
  SignOptions,
  Verification,
  WebhookEvent,
  WebhookHandler,
  WebhookQueue,
  WebhookRequest,
} from './types/index.js'
