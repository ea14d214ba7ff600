import type { RequestListener } from 'node:http'
import type { ReceiverOptions } from '../../../src/index.js'

/**
 * bare: read the body, answer 200. inline: bare + hand-written HMAC check + JSON.parse. queued: inline +
 * a hand-written dedupe by delivery id and in-memory queue (bench/lib/inline.ts, HandQueue). hookguard: the adapter.
 */
export type ServerKind = 'bare' | 'inline' | 'queued' | 'hookguard'

/** How tables name each server, in the order they are shown; the results file carries it to the docs page. */
export const SERVER_LABELS: Record<ServerKind, string> = {
  bare: 'bare',
  inline: 'inline HMAC',
  queued: 'queued by hand',
  hookguard: 'hookguard',
}

export interface AppOptions {
  kind: ServerKind
  /** The webhook route. */
  path: string
  /** GitHub secret of the inline check. */
  secret: string
  /** What the hookguard kind passes to its adapter. */
  receiver: ReceiverOptions<any>
}

/** Builds one framework's app for `kind` as a plain Node request listener (the child serves it). */
export type AppFactory = (options: AppOptions) => Promise<RequestListener>
