/**
 * The public types shared by the core, the providers, the stores, the queues
 * and the adapters.
 *
 * @module
 */

/** Header values as frameworks hand them over. */
export type HeaderValue = string | readonly string[] | undefined
/** A plain header object (any case) or a Fetch `Headers`. */
export type HeadersInput = Record<string, HeaderValue> | Headers

/** What `receiver.handle()` takes. */
export interface WebhookRequest {
  method: string
  /** The full public URL the sender signed (Twilio) or the request path. */
  url?: string
  headers: HeadersInput
  /** The exact raw bytes. A string is taken as its UTF-8 bytes; absent means empty. */
  body: Uint8Array | ArrayBuffer | string | undefined
}

/** The verified event that reaches the queue and the handler. */
export interface WebhookEvent<T = unknown> {
  /** The provider's event id (or the provider's documented fallback). */
  id: string
  /** Namespaced dedupe key: `provider:receiverName:id`. */
  key: string
  /** 'stripe', 'github', … */
  provider: string
  /** 'payment_intent.succeeded', 'push', … where the provider has one. */
  type?: string
  /** The signed timestamp in seconds, where the scheme has one. */
  timestamp?: number
  /** When the receiver accepted it, ms since the epoch. */
  receivedAt: number
  /** The parsed body. */
  payload: T
  /** Request headers, lower-case, with signature and token headers redacted. */
  headers: Record<string, string>
  /** 1 on the first run of the handler. */
  attempt: number
}

/** What a queue receives: the event before any attempt. */
export type QueuedEvent<T = unknown> = Omit<WebhookEvent<T>, 'attempt'>

/** The handler run by a queue's worker after the 2xx. */
export type WebhookHandler<T = unknown> = (event: WebhookEvent<T>) => unknown

/** Result of {@link DedupeStore.reserve}. */
export type ReserveResult =
  { status: 'reserved'; token: string } | { status: 'duplicate' } | { status: 'in_flight'; retryAfterMs?: number }

/**
 * Dedupe store: a key is first reserved for a short lease, then completed
 * (kept for the retention period) or released (forgotten).
 *
 * Every method must be safe under concurrency across processes when the
 * store claims to be shared. Run `test/conformance/store.ts` against yours.
 */
export interface DedupeStore {
  /**
   * Atomically claim `key` for `leaseMs`. A key that is completed and not yet
   * expired is a `duplicate`; a key reserved by someone else whose lease has
   * not expired is `in_flight`; anything else becomes `reserved` with a fresh
   * owner token.
   */
  reserve(key: string, leaseMs: number): Promise<ReserveResult>
  /**
   * Mark `key` done and keep it for `retentionMs`. Only the owner of the
   * current reservation may complete it: returns false (and changes nothing)
   * when `token` does not own the key any more.
   */
  complete(key: string, token: string, retentionMs: number): Promise<boolean>
  /** Forget the reservation if `token` still owns it. Returns whether it did. */
  release(key: string, token: string): Promise<boolean>
  /** Release resources the store owns (not clients the user passed in). */
  close?(): Promise<void>
}

/**
 * Queue: `enqueue` resolves only when the event is as durable as the queue can
 * make it, and is idempotent by `event.key` (a second enqueue of a key that is
 * pending, running or recently done is a no-op). `process` starts a worker
 * that runs the handler at least once per key, with retries.
 * Run `test/conformance/queue.ts` against yours.
 */
export interface WebhookQueue {
  enqueue(event: QueuedEvent): Promise<void>
  /** Start running `handler` for queued events (in this process). */
  process?(handler: WebhookHandler): void | Promise<void>
  /** Stop intake and drain: resolves when running work has finished. */
  close?(): Promise<void>
}

/** A handshake answer (Slack `url_verification`, Twitch challenge, Discord PING …). */
export interface HandshakeResponse {
  status?: number
  headers?: Record<string, string>
  body: string
}

/** What a provider learned from the verified request. */
export interface Verification {
  /** The signed timestamp, seconds. */
  timestamp?: number
  /** An id known from headers (a body id comes from `describe`). */
  id?: string
  type?: string
}

/** What a provider says about the parsed payload. */
export interface EventDescription {
  id?: string
  type?: string
  /** When set, the request is a handshake: answered as given, never enqueued. */
  handshake?: HandshakeResponse
}

/** What providers see: headers normalised to lower-case single strings. */
export interface ProviderRequest {
  method: string
  url?: string
  /** Lower-case names; duplicated headers already joined or rejected. */
  headers: Readonly<Record<string, string | readonly string[]>>
  body: Uint8Array
  /** ms since the epoch (the receiver's clock). */
  now: number
}

/** Options a signing helper takes (see `hookguard/testing`). */
export interface SignOptions {
  body: Uint8Array | string
  id?: string
  /** Seconds since the epoch; defaults to the signer's clock. */
  timestamp?: number
  url?: string
  /** ms clock used when `timestamp` is not given. */
  now?: () => number
  /** Extra headers to send along (for example an event type). */
  headers?: Record<string, string>
}

export interface SignedRequest {
  headers: Record<string, string>
  body: string | Uint8Array
  url?: string
}

/** Internal: where a provider keeps its signing function for `hookguard/testing`. */
export const SIGN = Symbol.for('hookguard.sign')

/**
 * A webhook scheme. Create one with a provider factory (`stripe({ secret })`).
 * Custom providers implement this interface.
 */
export interface Provider {
  /** Lower-case identifier made of `a-z 0-9 _ -`; becomes part of the dedupe key. */
  readonly name: string
  /** Allowed clock skew in seconds, or undefined when the scheme has no signed timestamp. */
  readonly tolerance: number | undefined
  /** Lower-case header names whose values must never be logged or stored. */
  readonly sensitiveHeaders: readonly string[]
  /** Check authenticity over the raw bytes; throw a HookguardError (400/401) when it fails. */
  verify(request: ProviderRequest): Verification | Promise<Verification>
  /** Parse the verified body. Defaults to strict UTF-8 JSON. */
  parse?(request: ProviderRequest): unknown
  /** Event id, type, or a handshake answer, from the parsed payload. */
  describe(
    payload: unknown,
    request: ProviderRequest,
    verification: Verification,
  ): EventDescription | Promise<EventDescription>
  /** Produce a correctly signed request; used by `hookguard/testing`. */
  readonly [SIGN]?: (options: SignOptions) => SignedRequest | Promise<SignedRequest>
  /**
   * The answer to an accepted (or duplicate) delivery, for senders that
   * expect a particular body (Discord interactions need an interaction
   * response). Called after the event is queued; its status must be 2xx.
   * Default: hookguard's small JSON body.
   */
  acknowledge?(event: QueuedEvent, duplicate: boolean): HandshakeResponse | undefined
}

/** What `receiver.handle()` reports about a request, for hooks and tests. */
export type Outcome =
  | { kind: 'accepted'; provider: string; id: string; key: string; type?: string; warning?: string }
  | { kind: 'duplicate'; provider: string; id: string; key: string; type?: string }
  | { kind: 'in_flight'; provider: string; id: string; key: string; type?: string }
  | { kind: 'handshake'; provider: string; type?: string }
  | { kind: 'rejected'; provider: string; code: string; status: number; reason?: string }
  | { kind: 'unavailable'; provider: string; code: string; status: number; reason?: string; key?: string }

export interface HandleResult {
  status: number
  /** Lower-case names. */
  headers: Record<string, string>
  body: string
  outcome: Outcome
}
