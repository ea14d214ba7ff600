/**
 * In-process dedupe store. Zero services, bounded memory; lost on restart and
 * not shared between processes — use `hookguard/sqlite`, `hookguard/redis` or
 * `hookguard/postgres` for that.
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { DIRECT, IN_PROCESS, type DirectStore } from '../internal/in-process.js'
import { configError } from '../errors.js'
import { resolveLogger } from '../internal/log.js'
import type { DedupeStore, Logger, ReserveResult } from '../types/index.js'
import { ExpiringLru } from '../internal/expiring-lru.js'
import { flat } from '../internal/keys.js'

export interface MemoryStoreOptions {
  /**
   * Most keys kept (reserved + completed); the ordering guard's records
   * ({@link DedupeStore.advance}) are bounded by the same number, separately.
   * Size it as deliveries per second × retention in seconds; each key costs
   * about 70 bytes plus its string (16 bytes + one per ASCII character), so
   * about 130 bytes for `stripe:default:evt_…` (`npm run bench:store-heap`). When
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
  forget(key: string): Promise<boolean>
  advance(entity: string, version: number, retentionMs: number): Promise<boolean>
  /** Keys held, and how many were evicted before their retention (or ordering record) ended. */
  stats(): { size: number; evictedUnexpired: number }
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

interface State {
  now: () => number
  /**
   * Dedupe keys: expiry time, and the lease's number while the key is in
   * flight (0 once completed). No Map of tokens beside it: a table of young
   * strings that gains and loses one per delivery keeps them from dying
   * young (see queues/internal/job-table.ts).
   */
  keys: ExpiringLru
  /** The ordering guard's records: expiry time and version. */
  versions: ExpiringLru
  /** Owner tokens only have to differ within this store: a random prefix and the lease's number, no crypto per request. */
  tokenPrefix: string
  tokenSeq: number
  /**
   * The token of the latest lease, kept: the receiver completes a key right
   * after reserving it, so `holds` compares the very string it handed out
   * (an identity check) instead of building and comparing a new one.
   */
  lastLease: number
  lastToken: string
  /** The slot `reserve` put its key in last: `complete` follows at once and starts there. */
  lastSlot: number
}

/** Counts evictions of unexpired entries, and warns about the first one. */
function evictionCounter(maxKeys: number, now: () => number, logger: Logger) {
  let count = 0
  return {
    count: () => count,
    evicted(expiresAt: number): void {
      if (expiresAt <= now()) return
      if (++count > 1) return
      logger.warn(
        { maxKeys, evictedUnexpired: count },
        'memoryStore evicted a key before its retention ended: a replay of that event would be accepted again ' +
          '(and an evicted ordering record lets an older event run). Raise maxKeys or use a durable store.',
      )
    },
  }
}

function remove(s: State, slot: number): void {
  s.keys.remove(slot)
}

function tokenFor(s: State, lease: number): string {
  if (lease === s.lastLease) return s.lastToken
  const token = flat(s.tokenPrefix + lease.toString(36))
  s.lastLease = lease
  s.lastToken = token
  return token
}

/** Whether `token` is the current lease's of the key in `slot`. */
function holds(s: State, slot: number, token: unknown): boolean {
  const lease = s.keys.value(slot)
  return lease > 0 && token === tokenFor(s, lease)
}

/** The slot of an unexpired key, or -1 (an expired one is removed on the way). */
function live(s: State, key: string, hint = -1): number {
  const slot = s.keys.findFrom(hint, key)
  if (slot < 0 || s.keys.expiresAt(slot) > s.now()) return slot
  remove(s, slot)
  return -1
}

type DirectCalls = Omit<DirectStore, 'stands'>

/** The key calls, synchronous: the public methods wrap them, and the receiver calls them directly (see DIRECT). */
function directCalls(s: State): DirectCalls {
  return {
    reserve(key, leaseMs): ReserveResult {
      checkMs('reserve', 'leaseMs', leaseMs)
      // Joined before the lookup hashes it (the receiver's keys already are).
      key = flat(key)
      const slot = live(s, key)
      if (slot >= 0 && s.keys.value(slot) === 0) return { status: 'duplicate' }
      if (slot >= 0) return { status: 'in_flight', retryAfterMs: s.keys.expiresAt(slot) - s.now() }
      // The prefix is drawn on first use: Workers forbid random values at module scope, where stores are built.
      s.tokenPrefix ||= `${randomToken(6)}.`
      const lease = ++s.tokenSeq
      s.lastSlot = s.keys.insert(key, s.now() + leaseMs, lease)
      return { status: 'reserved', token: tokenFor(s, lease) }
    },
    complete(key, token, retentionMs) {
      checkMs('complete', 'retentionMs', retentionMs)
      const slot = live(s, key, s.lastSlot)
      if (slot < 0 || !holds(s, slot, token)) return false
      s.keys.update(slot, s.now() + retentionMs) // lease 0: completed
      return true
    },
    release(key, token) {
      // A lapsed lease the owner releases is still its own until someone else reserves.
      const slot = s.keys.find(key)
      if (slot < 0 || !holds(s, slot, token)) return false
      remove(s, slot)
      return true
    },
  }
}

function keyMethods(s: State, calls: DirectCalls): Pick<MemoryStore, 'reserve' | 'complete' | 'release' | 'forget'> {
  return {
    reserve: async (key, leaseMs) => calls.reserve(key, leaseMs),
    complete: async (key, token, retentionMs) => calls.complete(key, token, retentionMs),
    release: async (key, token) => calls.release(key, token),
    async forget(key) {
      const slot = live(s, key)
      if (slot < 0 || s.keys.value(slot) !== 0) return false
      remove(s, slot)
      return true
    },
  }
}

function advance(s: State, entity: string, version: number, retentionMs: number): boolean {
  if (typeof version !== 'number' || !Number.isFinite(version))
    throw configError(`memoryStore.advance: version must be a finite number (got ${String(version)})`)
  checkMs('advance', 'retentionMs', retentionMs)
  const slot = s.versions.find(entity)
  const recorded = slot >= 0 && s.versions.expiresAt(slot) > s.now()
  if (recorded && s.versions.value(slot) > version) return false
  if (slot >= 0) s.versions.update(slot, s.now() + retentionMs, version)
  else s.versions.insert(flat(entity), s.now() + retentionMs, version)
  return true
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
  const evictions = evictionCounter(maxKeys, now, logger)
  const s: State = {
    now,
    keys: new ExpiringLru(maxKeys, (_slot, _key, expiresAt) => evictions.evicted(expiresAt), true),
    versions: new ExpiringLru(maxKeys, (_slot, _key, expiresAt) => evictions.evicted(expiresAt), true),
    tokenPrefix: '',
    tokenSeq: 0,
    lastLease: 0,
    lastToken: '',
    lastSlot: -1,
  }
  const calls = directCalls(s)
  const methods = keyMethods(s, calls)
  const store: MemoryStore & { [IN_PROCESS]: true; [DIRECT]: DirectStore } = {
    [IN_PROCESS]: true,
    [DIRECT]: Object.assign({ stands: methods }, calls),
    ...methods,
    advance: async (entity, version, retentionMs) => advance(s, entity, version, retentionMs),
    async close() {
      s.keys.clear()
      s.versions.clear()
    },
    stats: () => ({ size: s.keys.size, evictedUnexpired: evictions.count() }),
  }
  return store
}
