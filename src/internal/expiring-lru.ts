/**
 * Internal: a bounded least-recently-used table from string keys to an expiry
 * time (and optionally one more number), laid out for a small heap: the keys
 * map to slot numbers through a {@link KeyIndex}, and each slot's expiry,
 * value and recency links live in typed arrays. No object per entry.
 *
 * @module
 */
import { KeyIndex } from './key-index.js'

const NONE = -1
const FIRST_CAPACITY = 256

/** Called for the least recently used slot when a full table needs room. */
export type EvictionListener = (slot: number, key: string, expiresAt: number) => void

export class ExpiringLru {
  readonly max: number
  readonly #onEvict: EvictionListener
  readonly #withValue: boolean
  #index = new KeyIndex()
  #expires = new Float64Array(0)
  #values = new Float64Array(0)
  // Recency list: #newer points toward the most recent slot, #older toward the least.
  #newer = new Int32Array(0)
  #older = new Int32Array(0)
  #head = NONE
  #tail = NONE
  /** Freed slots, chained through #older. */
  #free = NONE
  /** Slots handed out so far (the high-water mark). */
  #used = 0

  constructor(max: number, onEvict: EvictionListener, withValue = false) {
    this.max = max
    this.#onEvict = onEvict
    this.#withValue = withValue
  }

  get size(): number {
    return this.#index.size
  }

  /**
   * {@link find}, trying `hint` first: a caller that inserted `key` a moment
   * ago skips the hash lookup while that slot still holds the key (on a
   * large table the lookup's cache misses cost more than the rest of a call).
   */
  findFrom(hint: number, key: string): number {
    if (hint >= 0 && this.#index.keyAt(hint) === key) {
      this.#touch(hint)
      return hint
    }
    return this.find(key)
  }

  /** The slot of `key`, marked as most recently used; -1 when absent. */
  find(key: string): number {
    const slot = this.#index.find(key)
    if (slot < 0) return NONE
    this.#touch(slot)
    return slot
  }

  expiresAt(slot: number): number {
    return this.#expires[slot]!
  }

  value(slot: number): number {
    return this.#values[slot]!
  }

  /** Updates a slot found by {@link find}. */
  update(slot: number, expiresAt: number, value = 0): void {
    this.#expires[slot] = expiresAt
    if (this.#withValue) this.#values[slot] = value
  }

  /**
   * Adds a key that {@link find} did not find, evicting the least recently
   * used slot first when the table is full. Returns the new slot.
   */
  insert(key: string, expiresAt: number, value = 0): number {
    if (this.#index.size >= this.max) this.#evict()
    const slot = this.#allocate()
    this.#index.add(key, slot)
    this.#link(slot)
    this.update(slot, expiresAt, value)
    return slot
  }

  /** Removes the slot (found by {@link find}); the slot number may be reused at once. */
  remove(slot: number): void {
    if (!this.#index.delete(slot)) return
    this.#unlink(slot)
    this.#older[slot] = this.#free
    this.#free = slot
  }

  /**
   * Removes expired slots from the least recently used end, stopping at the
   * first live one: exact when every key gets the same time to live, as
   * finished keys in a queue do.
   */
  removeExpired(now: number): void {
    while (this.#tail !== NONE && this.#expires[this.#tail]! <= now) this.remove(this.#tail)
  }

  clear(): void {
    this.#index.clear()
    this.#head = this.#tail = this.#free = NONE
    this.#used = 0
    this.#resize(0)
  }

  #evict(): void {
    const slot = this.#tail
    const key = this.#index.keyAt(slot)!
    this.#onEvict(slot, key, this.#expires[slot]!)
    this.remove(slot)
  }

  #allocate(): number {
    if (this.#free !== NONE) {
      const slot = this.#free
      this.#free = this.#older[slot]!
      return slot
    }
    if (this.#used === this.#expires.length) this.#resize(Math.min(this.max, Math.max(FIRST_CAPACITY, this.#used * 2)))
    return this.#used++
  }

  #resize(capacity: number): void {
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity)
      next.set(old.subarray(0, Math.min(old.length, capacity)))
      return next
    }
    this.#expires = grow(this.#expires, (n) => new Float64Array(n))
    if (this.#withValue) this.#values = grow(this.#values, (n) => new Float64Array(n))
    this.#newer = grow(this.#newer, (n) => new Int32Array(n))
    this.#older = grow(this.#older, (n) => new Int32Array(n))
  }

  /** Puts a slot that is not in the list at its most recent end. */
  #link(slot: number): void {
    this.#newer[slot] = NONE
    this.#older[slot] = this.#head
    if (this.#head !== NONE) this.#newer[this.#head] = slot
    this.#head = slot
    if (this.#tail === NONE) this.#tail = slot
  }

  #unlink(slot: number): void {
    const newer = this.#newer[slot]!
    const older = this.#older[slot]!
    if (newer === NONE) this.#head = older
    else this.#older[newer] = older
    if (older === NONE) this.#tail = newer
    else this.#newer[older] = newer
  }

  #touch(slot: number): void {
    if (slot === this.#head) return
    this.#unlink(slot)
    this.#link(slot)
  }
}
