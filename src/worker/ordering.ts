/**
 * The ordering guard: webhooks arrive out of order, so before a handler runs
 * the worker compare-and-sets the entity's newest handled version in the
 * store. An older event is skipped as `stale`; an equal version runs; an
 * event without an entity or a version runs.
 *
 * @module
 */
import { configError } from '../errors.js'
import { keyFits, keyPartProblem } from '../internal/keys.js'
import type { DedupeStore, Logger, OrderingOptions, WebhookEvent } from '../types/index.js'

// The shape lives with the provider contract, since providers carry a default (`provider.ordering`).
export type { OrderingOptions }

export interface OrderingGuard {
  /** true: run the handler; false: the event is stale. */
  admit(event: WebhookEvent): Promise<boolean>
}

/** A version as a number: numbers as they are, numeric text as its value, dates as ms. */
export function versionNumber(version: unknown): number | undefined {
  if (typeof version === 'number') return Number.isFinite(version) ? version : undefined
  if (typeof version !== 'string' || version === '') return undefined
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(version)) return Number(version)
  const ms = Date.parse(version)
  return Number.isNaN(ms) ? undefined : ms
}

/** `provider:name:` of a key (receiver names are URI-encoded, so the second ':' ends the prefix). */
function keyPrefix(key: string): string {
  return key.slice(0, key.indexOf(':', key.indexOf(':') + 1) + 1)
}

export function orderingGuard(
  where: string,
  options: OrderingOptions,
  store: DedupeStore,
  retentionMs: number,
  logger: Logger,
): OrderingGuard {
  if (!options || typeof options.entity !== 'function' || typeof options.version !== 'function') {
    throw configError(`${where}: ordering needs entity(event) and version(event) functions`)
  }
  if (typeof store.advance !== 'function') {
    throw configError(`${where}: ordering needs a store with advance() (every built-in store has it)`)
  }
  const advance = store.advance.bind(store)
  let warned = false
  return {
    async admit(event) {
      const entity = options.entity(event)
      const version = versionNumber(options.version(event))
      if (typeof entity !== 'string' || entity === '' || version === undefined) return true
      const key = `${keyPrefix(event.key)}@order:${entity}`
      if (keyPartProblem(entity) || !keyFits(key)) {
        // Such an entity would collide or fail in the store: the event runs unguarded, and the user hears of it.
        if (!warned)
          logger.warn(
            { provider: event.provider, key: event.key },
            'ordering entity cannot be a store key; ran unguarded',
          )
        warned = true
        return true
      }
      return advance(key, version, retentionMs)
    },
  }
}
