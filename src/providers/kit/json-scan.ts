/**
 * Finds one top-level member of a JSON object in a single pass over the
 * bytes, without parsing the rest: for schemes that carry their signature
 * inside an unsigned body (Mailgun), so a forged body costs one scan, not a
 * full parse. Only the member's own value is handed to JSON.parse.
 *
 * @module
 */
import { HookguardError } from '../../errors.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c

function malformed(reason: string): HookguardError {
  return new HookguardError('body.malformed', { reason })
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

function skipSpace(bytes: Uint8Array, at: number): number {
  while (at < bytes.length && isSpace(bytes[at]!)) at++
  return at
}

/** Index just past the string that opens at `at` (a quote). */
function skipString(bytes: Uint8Array, at: number): number {
  for (let i = at + 1; ;) {
    const close = bytes.indexOf(QUOTE, i)
    if (close === -1) throw malformed('body is not valid JSON (unterminated string)')
    let slashes = 0
    while (bytes[close - 1 - slashes] === BACKSLASH) slashes++
    if (slashes % 2 === 0) return close + 1
    i = close + 1
  }
}

/** Index just past the value that starts at `at`: a string, an object or array (nesting counted), or a literal. */
function skipValue(bytes: Uint8Array, at: number): number {
  const first = bytes[at]
  if (first === QUOTE) return skipString(bytes, at)
  if (first !== 0x7b && first !== 0x5b) {
    while (at < bytes.length && !isSpace(bytes[at]!) && bytes[at] !== 0x2c && bytes[at] !== 0x7d) at++
    return at
  }
  let depth = 0
  for (let i = at; i < bytes.length; i++) {
    const byte = bytes[i]!
    if (byte === QUOTE) i = skipString(bytes, i) - 1
    else if (byte === 0x7b || byte === 0x5b) depth++
    else if ((byte === 0x7d || byte === 0x5d) && --depth === 0) return i + 1
  }
  throw malformed('body is not valid JSON (unbalanced brackets)')
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function keyText(bytes: Uint8Array, start: number, end: number): string {
  try {
    return JSON.parse(utf8.decode(bytes.subarray(start, end))) as string
  } catch {
    throw malformed('body is not valid JSON (bad member name)')
  }
}

/**
 * The parsed value of the top-level member `name` of the JSON object in
 * `bytes`, or undefined when the body is an object without it. A body that
 * is not an object, or names the member twice, is a 400.
 */
export function topLevelMember(bytes: Uint8Array, name: string): unknown {
  const quoted = new TextEncoder().encode(JSON.stringify(name))
  let at = skipSpace(bytes, 0)
  if (bytes[at] !== 0x7b) throw malformed('body is not a JSON object')
  at = skipSpace(bytes, at + 1)
  let found: [number, number] | undefined
  while (at < bytes.length && bytes[at] !== 0x7d) {
    if (bytes[at] !== QUOTE) throw malformed('body is not valid JSON (member name expected)')
    const keyEnd = skipString(bytes, at)
    const plain = keyEnd - at === quoted.length && quoted.every((byte, i) => bytes[at + i] === byte)
    const matches = plain || (bytes.subarray(at, keyEnd).includes(BACKSLASH) && keyText(bytes, at, keyEnd) === name)
    at = skipSpace(bytes, keyEnd)
    if (bytes[at] !== 0x3a) throw malformed('body is not valid JSON (colon expected)')
    const valueStart = skipSpace(bytes, at + 1)
    const valueEnd = skipValue(bytes, valueStart)
    if (matches) {
      if (found) throw malformed(`body has more than one ${name} member`)
      found = [valueStart, valueEnd]
    }
    at = skipSpace(bytes, valueEnd)
    if (bytes[at] === 0x2c) at = skipSpace(bytes, at + 1)
  }
  if (!found) return undefined
  try {
    return JSON.parse(utf8.decode(bytes.subarray(found[0], found[1])))
  } catch {
    throw malformed(`the ${name} member is not valid JSON`)
  }
}
