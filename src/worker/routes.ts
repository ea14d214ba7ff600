/**
 * Routing by event type: `handlers: { 'payment_intent.succeeded': fn,
 * 'issues.*': fn, '*': fn }`. The most specific pattern wins: the exact
 * type, then the longest `prefix.*`, then `*`.
 *
 * @module
 */
import { configError } from '../errors.js'
import type { WebhookHandler } from '../types/index.js'

/** Handlers by event type pattern. */
export type HandlerMap<T = unknown> = Record<string, WebhookHandler<T>>

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
