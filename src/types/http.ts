/**
 * What adapters hand to `receiver.handle()` and what they write back.
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

/** The kinds of {@link Outcome}, one per row of the status contract. */
export type OutcomeKind = Outcome['kind']

/** What `receiver.handle()` reports about a request, for hooks, logs, metrics and the archive. */
export type Outcome =
  | { kind: 'accepted'; provider: string; receiver: string; id: string; key: string; type?: string; warning?: string }
  | { kind: 'duplicate'; provider: string; receiver: string; id: string; key: string; type?: string }
  | { kind: 'in_flight'; provider: string; receiver: string; id: string; key: string; type?: string }
  /** Acknowledged without being enqueued: no handler for its type and `unhandled: 'ack'`. */
  | { kind: 'ignored'; provider: string; receiver: string; id: string; key: string; type?: string }
  | { kind: 'handshake'; provider: string; receiver: string; type?: string }
  | { kind: 'rejected'; provider: string; receiver: string; code: string; status: number; reason?: string }
  | {
      kind: 'unavailable'
      provider: string
      receiver: string
      code: string
      status: number
      reason?: string
      key?: string
    }

export interface HandleResult {
  status: number
  /** Lower-case names. */
  headers: Record<string, string>
  body: string
  outcome: Outcome
}
