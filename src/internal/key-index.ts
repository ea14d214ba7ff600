/**
 * Internal: string keys to slot numbers, for {@link ExpiringLru}. An
 * open-addressing table in one Int32Array instead of a `Map`, for three
 * reasons measured on a full 100,000-key table (bench:http under perf):
 *
 * - A `Map` lookup for a key it lacks (every new delivery) walks a bucket
 *   chain through the entries and each entry's key string: three to five cache
 *   misses. Here a probe reads a position that holds the slot and the key's
 *   hash side by side, and touches a key string only when the hashes match.
 * - A `Map` keeps insertion order, so a deleted entry stays as a hole until the
 *   next rehash: under insert-and-evict churn V8 copies the whole table every
 *   few tens of thousands of inserts. Linear probing with backward-shift
 *   deletion leaves no holes, so the table is rebuilt only when it grows.
 * - Each position is 8 bytes, against some 28 for a `Map` entry.
 *
 * The hash is seeded per process from `Math.random()`, so a sender cannot
 * choose keys that collide. Keys are compared as strings after a hash match.
 * One seed for every table lets the store's lookup and the queue's lookup of
 * the same key share one hash.
 *
 * @module
 */

const MIN_POSITIONS = 16
/** The most positions in use is half the table: a miss then probes ~2.5 positions on average. */
const MAX_LOAD_SHIFT = 1

const SEED = (Math.random() * 0x1_0000_0000) | 0
// The last key hashed: a lookup that misses, the insert after it and the next table's lookup hash the same key.
let lastKey: string | undefined
let lastHash = 0

/** A seeded multiplicative hash of the UTF-16 units, finished with murmur3's mix. */
function hashOf(key: string): number {
  if (key === lastKey) return lastHash
  let hash = SEED ^ key.length
  const pairs = key.length & ~1
  // Two UTF-16 units per round: half the rounds, and every unit still counts.
  for (let i = 0; i < pairs; i += 2) {
    hash = Math.imul(hash ^ (key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16)), 0x5bd1e995)
    hash ^= hash >>> 15
  }
  if (pairs < key.length) hash = Math.imul(hash ^ key.charCodeAt(pairs), 0x5bd1e995)
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  lastKey = key
  lastHash = hash
  return hash
}

export class KeyIndex {
  /** Two int32 per position: slot + 1 (0 = empty) and the key's hash. */
  #table = new Int32Array(0)
  #mask = -1
  #count = 0
  /** Keys and their hashes by slot: the hash finds a slot's position again without reading the key. */
  #keys: (string | undefined)[] = []
  #hashes = new Int32Array(0)

  get size(): number {
    return this.#count
  }

  keyAt(slot: number): string | undefined {
    return this.#keys[slot]
  }

  /** The slot of `key`, or -1. */
  find(key: string): number {
    if (this.#count === 0) return -1
    const hash = hashOf(key)
    const table = this.#table
    const mask = this.#mask
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const stored = table[2 * at]!
      if (stored === 0) return -1
      if (table[2 * at + 1] === hash && this.#keys[stored - 1] === key) return stored - 1
    }
  }

  /** Adds a key that {@link find} did not find, at a slot that holds no key. */
  add(key: string, slot: number): void {
    if ((this.#count + 1) << MAX_LOAD_SHIFT > this.#mask + 1) this.#grow()
    const hash = hashOf(key)
    if (slot >= this.#hashes.length) {
      const hashes = new Int32Array(Math.max(MIN_POSITIONS, (slot + 1) * 2))
      hashes.set(this.#hashes)
      this.#hashes = hashes
    }
    this.#keys[slot] = key
    this.#hashes[slot] = hash
    this.#place(slot, hash)
    this.#count++
  }

  /** Removes the key at `slot`; false when the slot holds none. */
  delete(slot: number): boolean {
    const key = this.#keys[slot]
    if (key === undefined) return false
    // The next table to see this key (a finished job's key goes to the done memory) skips hashing it.
    lastKey = key
    lastHash = this.#hashes[slot]!
    this.#keys[slot] = undefined
    const table = this.#table
    const mask = this.#mask
    let hole = this.#hashes[slot]! & mask
    while (table[2 * hole] !== slot + 1) hole = (hole + 1) & mask
    // Backward-shift deletion: move each later entry of the run that may live at the hole into it, so no
    // lookup ever meets an empty position before its key.
    for (let at = (hole + 1) & mask; table[2 * at] !== 0; at = (at + 1) & mask) {
      const home = table[2 * at + 1]! & mask
      const stays = hole <= at ? home > hole && home <= at : home > hole || home <= at
      if (stays) continue
      table[2 * hole] = table[2 * at]!
      table[2 * hole + 1] = table[2 * at + 1]!
      hole = at
    }
    table[2 * hole] = 0
    table[2 * hole + 1] = 0
    this.#count--
    return true
  }

  clear(): void {
    this.#table = new Int32Array(0)
    this.#mask = -1
    this.#count = 0
    this.#keys = []
    this.#hashes = new Int32Array(0)
  }

  #place(slot: number, hash: number): void {
    const table = this.#table
    const mask = this.#mask
    let at = hash & mask
    while (table[2 * at] !== 0) at = (at + 1) & mask
    table[2 * at] = slot + 1
    table[2 * at + 1] = hash
  }

  #grow(): void {
    const positions = Math.max(MIN_POSITIONS, (this.#mask + 1) * 2)
    this.#table = new Int32Array(positions * 2)
    this.#mask = positions - 1
    const keys = this.#keys
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== undefined) this.#place(slot, this.#hashes[slot]!)
  }
}
