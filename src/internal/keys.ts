/**
 * Internal: what every store key must be. Keys come from event ids and
 * ordering entities, both set by senders or user code, and every store must
 * hold them exactly: bounded (PostgreSQL's btree rows end near 2.7 KB),
 * free of control characters (PostgreSQL text refuses NUL) and well-formed
 * Unicode (the Redis and PostgreSQL clients turn a lone surrogate into
 * U+FFFD, so two different keys would collide).
 *
 * @module
 */

/**
 * `text` as one block of characters. V8 keeps a string built by concatenation
 * (as the receiver builds keys) as a tree of pieces; reading a character
 * joins it into one block, which the garbage collector then puts in the
 * tree's place. A kept key then costs its characters once (about 40 bytes
 * less per key), and code that reads it character by character (the key
 * tables' hash) takes V8's fast path: hashing a 60-character key that is
 * still a tree took 750 ns against 110 once joined.
 */
export function flat(text: string): string {
  text.charCodeAt(0)
  return text
}

/** Longest event id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 512
/** Longest store key in UTF-8 bytes: fits PostgreSQL's btree rows, Redis and SQLite with room to spare. */
export const MAX_KEY_BYTES = 1024
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/** Why `part` (an id, an entity) cannot go into a key, or undefined when it can. */
export function keyPartProblem(part: string, maxLength = MAX_ID_LENGTH): string | undefined {
  if (part.length > maxLength) return 'is over-long'
  if (CONTROL_RE.test(part)) return 'has control characters'
  if (!part.isWellFormed()) return 'is not well-formed Unicode'
  return undefined
}

/** Whether a whole key fits every store. */
export function keyFits(key: string): boolean {
  return key.length * 3 <= MAX_KEY_BYTES || utf8Length(key) <= MAX_KEY_BYTES
}
