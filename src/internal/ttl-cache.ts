/**
 * Internal: a small bounded cache with a time to live, on a Map (which keeps
 * insertion order, so the first key is the least recently used one). It
 * replaces lru-cache, hookguard's only runtime dependency, whose build names
 * `node:diagnostics_channel` — Cloudflare Workers refuse to load a bundle
 * that does without `nodejs_compat`.
 *
 * @module
 */

interface Slot<V> {
  value: V
  expiresAt: number
}

export class TtlCache<K, V> {
  private readonly slots = new Map<K, Slot<V>>()

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined) return undefined
    this.slots.delete(key)
    if (slot.expiresAt <= this.now()) return undefined
    // Re-inserted: now the most recently used.
    this.slots.set(key, slot)
    return slot.value
  }

  set(key: K, value: V): void {
    this.slots.delete(key)
    this.slots.set(key, { value, expiresAt: this.now() + this.ttlMs })
    if (this.slots.size > this.max) this.slots.delete(this.slots.keys().next().value as K)
  }

  delete(key: K): boolean {
    return this.slots.delete(key)
  }

  get size(): number {
    return this.slots.size
  }

  clear(): void {
    this.slots.clear()
  }
}
