/**
 * In-process dedupe store. Zero services, bounded memory; lost on restart and
 * not shared between processes — use `hookguard/sqlite`, `hookguard/redis` or
 * `hookguard/postgres` for that.
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import { resolveLogger } from '../internal/log.js'
import type { DedupeStore, Logger, ReserveResult } from '../types/index.js'
import { ExpiringLru } from './internal/expiring-lru.js'

export interface MemoryStoreOptions {
  /**
   * Most keys kept (reserved + completed); the ordering guard's records
   * ({@link DedupeStore.advance}) are bounded by the same number, separately.
   * Size it as deliveries per second × retention in seconds; each key costs
   * about 120 bytes plus its characters (`npm run bench:store-heap`). When
   * full, the least recently used key is evicted even if its retention has not
   * run out: a replay of that event would be accepted again, so evictions of
   * unexpired keys are counted (`stats().evictedUnexpired`) and warned about
   * once through `logger`.
   * @default 100000
   */
  maxKeys?: number
  /**
   * Clock in ms, for tests.
   * @default Date.now
   */
  now?: () => number
  /**
   * Where the once-only eviction warning goes: a pino-compatible logger, or
   * `false` for silence.
   * @default console
   */
  logger?: Logger | false
}

export interface MemoryStore extends DedupeStore {
  /** Keys held, and how many were evicted before their retention (or ordering record) ended. */
  stats(): { size: number; evictedUnexpired: number }
}

/**
 * V8 keeps a string built by concatenation (as the receiver builds keys) as a
 * tree of pieces. Reading a character joins it into one block, which the
 * garbage collector then puts in the tree's place: a kept key costs its
 * characters once, about 40 bytes less per key.
 */
function flat(text: string): string {
  text.charCodeAt(0)
  return text
}

function checkMs(method: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw configError(`memoryStore.${method}: ${name} must be a positive number of ms (got ${String(value)})`)
}

function checkOptions(options: MemoryStoreOptions): { maxKeys: number; now: () => number; logger: Logger } {
  const maxKeys = options.maxKeys ?? 100_000
  if (!Number.isInteger(maxKeys) || maxKeys < 1)
    throw configError(`memoryStore: maxKeys must be a positive integer (got ${String(maxKeys)})`)
  if (maxKeys > 2 ** 31 - 2) throw configError('memoryStore: maxKeys must be below 2^31; use a durable store')
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError('memoryStore: now must be a function returning milliseconds')
  return { maxKeys, now, logger: resolveLogger('memoryStore', options.logger) }
}

/**
 * The embedded default store: a bounded in-process table.
 *
 * @example
 * ```ts
 * import { createReceiver, memoryStore, stripe } from 'hookguard'
 * const receiver = createReceiver({ provider: stripe({ secret }), store: memoryStore({ maxKeys: 500_000 }) })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const { maxKeys, now, logger } = checkOptions(options ?? {})
  let evictedUnexpired = 0

  function evicted(expiresAt: number): void {
    if (expiresAt <= now()) return
    if (++evictedUnexpired > 1) return
    logger.warn(
      { maxKeys, evictedUnexpired },
      'memoryStore evicted a key before its retention ended: a replay of that event would be accepted again ' +
        '(and an evicted ordering record lets an older event run). Raise maxKeys or use a durable store.',
    )
  }

  // Completed keys are only an expiry time; the owner token is kept for the
  // few keys in flight, by slot.
  const tokens = new Map<number, string>()
  const keys = new ExpiringLru(maxKeys, (slot, _key, expiresAt) => {
    tokens.delete(slot)
    evicted(expiresAt)
  })
  const versions = new ExpiringLru(maxKeys, (_slot, _key, expiresAt) => evicted(expiresAt), true)

  /** The slot of an unexpired entry, or -1 (an expired one is removed on the way). */
  function live(key: string): number {
    const slot = keys.find(key)
    if (slot < 0 || keys.expiresAt(slot) > now()) return slot
    remove(slot)
    return -1
  }

  // `keys` and `tokens` go together: every removal from `keys` clears the slot's token.
  function remove(slot: number): void {
    tokens.delete(slot)
    keys.remove(slot)
  }

  const store: MemoryStore = {
    async reserve(key, leaseMs): Promise<ReserveResult> {
      checkMs('reserve', 'leaseMs', leaseMs)
      const slot = live(key)
      if (slot >= 0 && !tokens.has(slot)) return { status: 'duplicate' }
      if (slot >= 0) return { status: 'in_flight', retryAfterMs: keys.expiresAt(slot) - now() }
      const token = flat(randomToken())
      tokens.set(keys.insert(flat(key), now() + leaseMs), token)
      return { status: 'reserved', token }
    },
    async complete(key, token, retentionMs) {
      checkMs('complete', 'retentionMs', retentionMs)
      const slot = live(key)
      if (slot < 0 || tokens.get(slot) !== token) return false
      tokens.delete(slot)
      keys.update(slot, now() + retentionMs)
      return true
    },
    async release(key, token) {
      // A lapsed lease the owner releases is still its own until someone else reserves.
      const slot = keys.find(key)
      if (slot < 0 || tokens.get(slot) !== token) return false
      remove(slot)
      return true
    },
    async forget(key) {
      const slot = live(key)
      if (slot < 0 || tokens.has(slot)) return false
      remove(slot)
      return true
    },
    async advance(entity, version, retentionMs) {
      if (typeof version !== 'number' || !Number.isFinite(version))
        throw configError(`memoryStore.advance: version must be a finite number (got ${String(version)})`)
      checkMs('advance', 'retentionMs', retentionMs)
      const slot = versions.find(entity)
      const recorded = slot >= 0 && versions.expiresAt(slot) > now()
      if (recorded && versions.value(slot) > version) return false
      if (slot >= 0) versions.update(slot, now() + retentionMs, version)
      else versions.insert(flat(entity), now() + retentionMs, version)
      return true
    },
    async close() {
      tokens.clear()
      keys.clear()
      versions.clear()
    },
    stats: () => ({ size: keys.size, evictedUnexpired }),
  }
  return store
}
