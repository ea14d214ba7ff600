/**
 * Internal: a small bounded cache with a time to live, least recently used
 * out first. It replaces lru-cache, hookguard's only runtime dependency, whose
 * build names `node:diagnostics_channel` — Cloudflare Workers refuse to load
 * a bundle that does without `nodejs_compat`.
 *
 * Built on the slot table memoryStore uses, not on a Map kept in insertion
 * order: evicting from a Map's front leaves holes that every later eviction
 * walks over, which a cache full of tenants hits on every miss.
 *
 * @module
 */
import { ExpiringLru } from './expiring-lru.js'

export class TtlCache<V> {
  private readonly slots: ExpiringLru
  /** Values by slot number; a slot's value is dropped when the slot is removed or evicted. */
  private values: Array<V | undefined> = []

  constructor(
    max: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.slots = new ExpiringLru(max, (slot) => {
      this.values[slot] = undefined
    })
  }

  get(key: string): V | undefined {
    const slot = this.slots.find(key)
    if (slot < 0) return undefined
    if (this.slots.expiresAt(slot) <= this.now()) {
      this.remove(slot)
      return undefined
    }
    return this.values[slot]
  }

  set(key: string, value: V): void {
    const expiresAt = this.now() + this.ttlMs
    let slot = this.slots.find(key)
    if (slot < 0) slot = this.slots.insert(key, expiresAt)
    else this.slots.update(slot, expiresAt)
    this.values[slot] = value
  }

  delete(key: string): boolean {
    const slot = this.slots.find(key)
    if (slot < 0) return false
    this.remove(slot)
    return true
  }

  get size(): number {
    return this.slots.size
  }

  clear(): void {
    this.slots.clear()
    this.values = []
  }

  private remove(slot: number): void {
    this.slots.remove(slot)
    this.values[slot] = undefined
  }
}
