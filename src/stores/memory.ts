/**
 * In-process dedupe store on lru-cache. Zero services, bounded memory; lost
 * on restart and not shared between processes — use `hookguard/sqlite`,
 * `hookguard/redis` or `hookguard/postgres` for that.
 *
 * @module
 */
import { LRUCache } from 'lru-cache'
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import type { DedupeStore, ReserveResult } from '../types/index.js'

export interface MemoryStoreOptions {
  /**
   * Most keys kept (reserved + completed). Size it as deliveries per second ×
   * retention in seconds; each key costs roughly 200 bytes. When full, the
   * least recently used key is evicted even if its retention has not run out:
   * a replay of that event would be accepted again, so evictions of unexpired
   * keys are counted (`stats().evictedUnexpired`) and warned about once.
   * Default 100 000.
   */
  maxKeys?: number
  /** Clock in ms, for tests. Default `Date.now`. */
  now?: () => number
}

interface Entry {
  state: 'reserved' | 'done'
  token: string
  expiresAt: number
}

export interface MemoryStore extends DedupeStore {
  stats(): { size: number; evictedUnexpired: number }
}

/** The embedded default store. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxKeys = options.maxKeys ?? 100_000
  if (!Number.isInteger(maxKeys) || maxKeys < 1)
    throw configError(`memoryStore: maxKeys must be a positive integer (got ${String(maxKeys)})`)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError('memoryStore: now must be a function returning milliseconds')
  let evictedUnexpired = 0
  let warned = false

  const cache = new LRUCache<string, Entry>({
    max: maxKeys,
    dispose(entry, _key, reason) {
      if (reason !== 'evict' || entry.expiresAt <= now()) return
      evictedUnexpired++
      if (!warned) {
        warned = true
        const proc = (globalThis as { process?: { emitWarning?: (message: string, options: object) => void } }).process
        const message =
          `hookguard memoryStore evicted a key before its retention ended (maxKeys ${maxKeys}); ` +
          'a replay of that event would be accepted again. Raise maxKeys or use a durable store.'
        if (proc?.emitWarning) proc.emitWarning(message, { code: 'HOOKGUARD_STORE_EVICTION' })
        else console.warn(message)
      }
    },
  })

  function live(key: string): Entry | undefined {
    const entry = cache.get(key)
    if (entry && entry.expiresAt <= now()) {
      cache.delete(key)
      return undefined
    }
    return entry
  }

  return {
    async reserve(key, leaseMs): Promise<ReserveResult> {
      const entry = live(key)
      if (entry?.state === 'done') return { status: 'duplicate' }
      if (entry) return { status: 'in_flight', retryAfterMs: entry.expiresAt - now() }
      const token = randomToken()
      cache.set(key, { state: 'reserved', token, expiresAt: now() + leaseMs })
      return { status: 'reserved', token }
    },
    async complete(key, token, retentionMs) {
      const entry = live(key)
      if (!entry || entry.state !== 'reserved' || entry.token !== token) return false
      cache.set(key, { state: 'done', token, expiresAt: now() + retentionMs })
      return true
    },
    async release(key, token) {
      const entry = cache.get(key)
      if (!entry || entry.state !== 'reserved' || entry.token !== token) return false
      cache.delete(key)
      return true
    },
    async close() {
      cache.clear()
    },
    stats: () => ({ size: cache.size, evictedUnexpired }),
  }
}
