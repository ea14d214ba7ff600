import type { RequestListener } from 'node:http'
import type { ReceiverOptions } from '../../../src/index.js'

/**
 * bare: read the body, answer 200. inline: bare + hand-written HMAC check + JSON.parse. queued: inline +
 * a hand-written dedupe by delivery id and in-memory queue (bench/lib/inline.ts, HandQueue). hookguard: the adapter.
 * hookguard-verify and hookguard-dedupe: the adapter with a store that remembers nothing and a queue that drops
 * every event (bench/lib/ablation.ts), then with memoryStore and that queue: what the path costs without each
 * guarantee (bench:perf and bench:instructions only). guarded: hookguard's guarantees written by hand, for node:http
 * and Fastify (bench/lib/guarded.ts).
 */
export type ServerKind =
  'bare' | 'inline' | 'queued' | 'hookguard' | 'hookguard-verify' | 'hookguard-dedupe' | 'guarded'

/** The servers an app builds: the hookguard variants are one app with different receivers. */
export type AppKind = Exclude<ServerKind, 'hookguard-verify' | 'hookguard-dedupe'>

/** The frameworks that have a guarantees-by-hand server. */
export const GUARDED_FRAMEWORKS: readonly string[] = ['node', 'fastify']

/** How tables name each server, in the order they are shown; the results file carries it to the docs page. */
export const SERVER_LABELS: Record<ServerKind, string> = {
  bare: 'bare',
  inline: 'inline HMAC',
  queued: 'queued by hand',
  hookguard: 'hookguard',
  'hookguard-verify': 'hookguard, no dedupe or queue',
  'hookguard-dedupe': 'hookguard, dedupe, no queue',
  guarded: 'guarantees by hand',
}

export interface AppOptions {
  kind: AppKind
  /** The webhook route. */
  path: string
  /** GitHub secret of the inline check. */
  secret: string
  /** What the hookguard kind passes to its adapter. */
  receiver: ReceiverOptions<any>
}

/** Builds one framework's app for `kind` as a plain Node request listener (the child serves it). */
export type AppFactory = (options: AppOptions) => Promise<RequestListener>
