/**
 * Routing by event type: `handlers: { 'payment_intent.succeeded': fn,
 * 'issues.*': fn, '*': fn }`. The most specific pattern wins: the exact
 * type, then the longest `prefix.*`, then `*`.
 *
 * @module
 */
import { configError } from '../errors.js'
import type { EventMap, NoEvents, WebhookHandler } from '../types/index.js'

/** `a.*` and `a.b.*` for the type `a.b.c`: every `prefix.*` pattern that matches it. */
export type PrefixPatterns<K extends string> = K extends `${infer Head}.${infer Rest}`
  ? `${Head}.*` | `${Head}.${PrefixPatterns<Rest>}`
  : never

/** The payload a pattern's handler gets: the exact type's, or the union of every type a `prefix.*` matches. */
type PatternPayload<T, E, K> = K extends '*'
  ? T
  : K extends `${infer Prefix}.*`
    ? E[Extract<keyof E, `${Prefix}.${string}`>]
    : E[K & keyof E]

/** Handler keys of a provider with an event map: its types, their `prefix.*` patterns, and `*`. */
type TypedHandlerMap<T, E> = {
  [K in Extract<keyof E, string> | PrefixPatterns<Extract<keyof E, string>> | '*']?: WebhookHandler<
    PatternPayload<T, E, K>
  >
}

/**
 * Handlers by event type pattern. With a provider's event map `E` (Stripe,
 * GitHub, Slack) an exact type's handler gets that type's payload, a
 * `prefix.*` handler the union of the payloads it matches, and `*` the
 * whole payload `T`; a key that matches no known type is a type error (use
 * `*` for types newer than the installed type package). Without a map every
 * handler gets `T`.
 */
export type HandlerMap<T = unknown, E extends EventMap = NoEvents> = [keyof E] extends [never]
  ? Record<string, WebhookHandler<T>>
  : TypedHandlerMap<T, E>

export interface Routes {
  /** The handler for `type`, or undefined when no pattern matches. */
  find(type: string | undefined): WebhookHandler | undefined
  handles(type: string | undefined): boolean
}

const PATTERN_RE = /^(?:\*|[^*\s]+(?:\.\*)?)$/

export function compileRoutes(where: string, map: unknown): Routes {
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw configError(
      `${where}: handlers must be an object of event type → function, e.g. { 'payment_intent.succeeded': fn }`,
    )
  }
  const exact = new Map<string, WebhookHandler>()
  const prefixes: Array<[string, WebhookHandler]> = []
  let fallback: WebhookHandler | undefined
  for (const [pattern, handler] of Object.entries(map as Record<string, unknown>)) {
    if (typeof handler !== 'function') throw configError(`${where}: handlers['${pattern}'] must be a function`)
    if (!PATTERN_RE.test(pattern)) {
      throw configError(
        `${where}: handlers key '${pattern}' must be a type, 'prefix.*' or '*' (a * only at the end, after a dot)`,
      )
    }
    if (pattern === '*') fallback = handler as WebhookHandler
    else if (pattern.endsWith('.*')) prefixes.push([pattern.slice(0, -1), handler as WebhookHandler])
    else exact.set(pattern, handler as WebhookHandler)
  }
  if (exact.size === 0 && prefixes.length === 0 && !fallback) throw configError(`${where}: handlers is empty`)
  prefixes.sort((a, b) => b[0].length - a[0].length)
  function find(type: string | undefined): WebhookHandler | undefined {
    if (type === undefined) return fallback
    const direct = exact.get(type)
    if (direct) return direct
    for (const [prefix, handler] of prefixes) if (type.startsWith(prefix)) return handler
    return fallback
  }
  return { find, handles: (type) => find(type) !== undefined }
}
