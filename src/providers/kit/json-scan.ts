/**
 * Finds a small object-valued member of a JSON body without parsing the
 * body: for schemes that carry their signature inside an unsigned body
 * (Mailgun), so a forged body costs one native byte search, not a parse
 * (a full JSON.parse of an adversarial 1 MiB body takes well over 100 ms).
 *
 * The first `"name": {…}` in the bytes is taken, wherever it sits; the
 * caller must check, once the body is parsed after verification, that the
 * body's top-level member is the one it verified.
 *
 * @module
 */
import { HookguardError } from '../../errors.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c
/** The member's object may be at most this long: a signature object is ~150 bytes. */
const MAX_MEMBER_BYTES = 4096

function malformed(reason: string): HookguardError {
  return new HookguardError('body.malformed', { reason })
}

type Searchable = Uint8Array & { indexOf(value: Uint8Array | number, from?: number): number }

/** Index of `needle` in `bytes` from `from`: native (Buffer) search under Node, memchr plus a compare elsewhere. */
function find(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): Searchable } }).Buffer
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(needle, from)
  for (let at = bytes.indexOf(needle[0]!, from); at !== -1; at = bytes.indexOf(needle[0]!, at + 1)) {
    let same = at + needle.length <= bytes.length
    for (let i = 1; same && i < needle.length; i++) same = bytes[at + i] === needle[i]
    if (same) return at
  }
  return -1
}

const isSpace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/** End (exclusive) of the object that opens at `at`, scanning at most MAX_MEMBER_BYTES; -1 when longer or unterminated. */
function objectEnd(bytes: Uint8Array, at: number): number {
  const stop = Math.min(bytes.length, at + MAX_MEMBER_BYTES)
  let depth = 0
  for (let i = at; i < stop; i++) {
    const byte = bytes[i]
    if (byte === QUOTE) {
      for (i++; i < stop && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++
    } else if (byte === 0x7b || byte === 0x5b) depth++
    else if ((byte === 0x7d || byte === 0x5d) && --depth === 0) return i + 1
  }
  return -1
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The parsed object of the first `"name": {…}` member in a JSON body, or
 * undefined when there is none. A body that does not open with `{`, or a
 * member whose object is not valid JSON or longer than 4 KiB, is a 400.
 */
export function firstObjectMember(bytes: Uint8Array, name: string): Record<string, unknown> | undefined {
  // A body that does not open an object is no JSON object (leading whitespace is bounded: it would be a scan).
  let first = 0
  while (first < 64 && isSpace(bytes[first])) first++
  if (bytes[first] !== 0x7b) throw malformed('body is not a JSON object')
  const needle = new TextEncoder().encode(JSON.stringify(name))
  for (let at = find(bytes, needle, 0); at !== -1; at = find(bytes, needle, at + 1)) {
    // An escaped quote starts no member name.
    let slashes = 0
    while (bytes[at - 1 - slashes] === BACKSLASH) slashes++
    if (slashes % 2 === 1) continue
    let i = at + needle.length
    while (isSpace(bytes[i])) i++
    if (bytes[i] !== 0x3a) continue
    i++
    while (isSpace(bytes[i])) i++
    if (bytes[i] !== 0x7b) continue
    const end = objectEnd(bytes, i)
    if (end === -1) throw malformed(`the ${name} member is not a JSON object of at most ${MAX_MEMBER_BYTES} bytes`)
    try {
      return JSON.parse(utf8.decode(bytes.subarray(i, end))) as Record<string, unknown>
    } catch {
      throw malformed(`the ${name} member is not valid JSON`)
    }
  }
  return undefined
}
