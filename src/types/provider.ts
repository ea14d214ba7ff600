/**
 * The provider contract: how a webhook scheme verifies, parses and describes
 * a delivery. Built-in providers come from the factories (`stripe()`,
 * `github()` …); custom ones implement {@link Provider}.
 *
 * @module
 */
import type { QueuedEvent, WebhookEvent } from './event.js'

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
  /**
   * Bytes unique to the signed content (the verified MAC), given by schemes
   * whose event id travels outside the signature (GitHub, Twilio …). The
   * receiver dedupes on a digest of it, so a captured delivery resent with
   * a fresh id header is still a duplicate. Given only where the signed
   * content is the same on every retry of one event and differs between
   * events; absent where the id is signed, where retries are re-signed
   * (Linear, PayPal) or where distinct events can share a body (Shopify).
   */
  fingerprint?: Uint8Array
}

/** What a provider says about the parsed payload. */
export interface EventDescription {
  id?: string
  type?: string
  /** When set, the request is a handshake: answered as given, never enqueued. */
  handshake?: HandshakeResponse
}

/** What providers see: headers normalised to lower-case names. */
export interface ProviderRequest {
  method: string
  url?: string
  /** Lower-case names; a header sent more than once is an array (providers refuse it where it matters). */
  headers: Readonly<Record<string, string | readonly string[]>>
  body: Uint8Array
  /** ms since the epoch (the receiver's clock). */
  now: number
  /**
   * Time budget, ms, for looking up a per-tenant secret (`secret` given as a
   * function). The receiver passes its store budget; a factory's own
   * `secretTimeoutMs` option takes precedence. Default 1000.
   */
  secretTimeoutMs?: number
}

/** What a handshake outside POST sees (Meta's and Dropbox's GET, Okta's GET, Trello's HEAD): a request without a body. */
export type HandshakeRequest = Omit<ProviderRequest, 'body'>

/** Options a signing helper takes (see `hookguard/testing`). */
export interface SignOptions {
  /** The body to sign, exactly as it will be sent (a string is signed as its UTF-8 bytes). */
  body: Uint8Array | string
  /**
   * The id header to send, for schemes that carry one (`webhook-id`, `X-GitHub-Delivery` …).
   * @default a random id
   */
  id?: string
  /** Seconds since the epoch. @default the signer's clock (`now`) */
  timestamp?: number
  /**
   * The receiving URL, for schemes that sign it (Twilio, Square, HubSpot, Trello, Mandrill).
   * @default the provider's fixed `publicUrl` (or `callbackUrl`) where it has one; otherwise required by those schemes
   */
  url?: string
  /** ms clock used when `timestamp` is not given. @default Date.now */
  now?: () => number
  /** Extra headers to send along (for example an event type). @default none */
  headers?: Record<string, string>
}

export interface SignedRequest {
  headers: Record<string, string>
  body: string | Uint8Array
  url?: string
}

/** Internal: where a provider keeps its signing function for `hookguard/testing`. */
export const SIGN = Symbol.for('hookguard.sign')

/** Type-only key of {@link Provider}'s payload type; no value exists at run time. */
declare const PAYLOAD: unique symbol
/** Type-only key of {@link Provider}'s event map; no value exists at run time. */
declare const EVENTS: unique symbol

/**
 * Event type → payload type, for typing handlers by type
 * (`'payment_intent.succeeded'` → `Stripe.PaymentIntentSucceededEvent`).
 * Empty for providers whose payloads have no published types.
 */
export type EventMap = Record<string, unknown>

/** The event map of a provider without one: handlers by type then see the provider's payload type. */
export type NoEvents = Record<never, never>

/**
 * Which entity an event changes, and how new it is: the ordering guard skips
 * an event older than the newest one handled for its entity.
 */
export interface OrderingOptions<T = unknown> {
  /** The entity the event changes (`data.object.id` for Stripe), or undefined to skip the guard. */
  entity(event: WebhookEvent<T>): string | undefined
  /** Its version: a number, or an ISO 8601 date; larger is newer. Undefined skips the guard. */
  version(event: WebhookEvent<T>): number | string | undefined
}

/**
 * A webhook scheme. Create one with a provider factory (`stripe({ secret })`).
 * Custom providers implement this interface. `TPayload` is the type of the
 * parsed payload (`Stripe.Event` for `stripe()`), carried for type inference
 * only: it is never checked at run time (validate with a schema for that).
 * `TEvents` maps each event type to its payload, so handlers by type get the
 * narrowed payload; it is type-only too.
 */
export interface Provider<TPayload = unknown, TEvents extends EventMap = NoEvents> {
  /** Type-only: the payload type. Never present at run time. */
  readonly [PAYLOAD]?: TPayload
  /** Type-only: event type → payload type. Never present at run time. */
  readonly [EVENTS]?: TEvents
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
  /** Upper-case methods besides POST that {@link Provider.handshake} answers (`GET`, `HEAD`). Default none. */
  readonly handshakeMethods?: readonly string[]
  /**
   * Answers a request whose method is in `handshakeMethods`, before any body
   * is read: the sender's expected answer, or a HookguardError (400/401).
   * Never reaches the store or the queue.
   */
  handshake?(request: HandshakeRequest): HandshakeResponse | Promise<HandshakeResponse>
  /**
   * The ordering guard's default for this provider, used by
   * `createReceiver({ ordering: true })`. Absent where the payload carries
   * no entity and version (GitHub, Slack …).
   */
  readonly ordering?: OrderingOptions<TPayload>
}

/** The payload type a provider carries (`Stripe.Event` for `stripe()`); unknown for generic ones. */
export type PayloadOf<P> = P extends Provider<infer T, EventMap> ? T : unknown

/** The event map a provider carries; empty for generic ones. */
export type EventsOf<P> = P extends Provider<unknown, infer E> ? E : NoEvents
