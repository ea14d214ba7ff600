/**
 * Internal: strict decoding of verified bodies — UTF-8 that refuses invalid
 * bytes, JSON, and `application/x-www-form-urlencoded`.
 *
 * @module
 */
import { HookguardError } from '../errors.js'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

type NodeBuffer = typeof import('node:buffer')
// node:buffer's native UTF-8 check plus a plain decode is faster than a fatal TextDecoder (seen in profiles).
const nodeBuffer = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    const buffer = proc?.getBuiltinModule?.('node:buffer') as NodeBuffer | undefined
    return typeof buffer?.isUtf8 === 'function' && typeof buffer.isAscii === 'function' ? buffer : undefined
  } catch {
    return undefined
  }
})()

function invalidUtf8(): never {
  throw new HookguardError('body.malformed', { reason: 'body is not valid UTF-8' })
}

/** Strict UTF-8 text of the body, without a leading BOM; invalid bytes are a 400. */
export function bodyText(body: Uint8Array): string {
  if (nodeBuffer) {
    const bytes = nodeBuffer.Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    // Most bodies are pure ASCII, which reads the same as Latin-1: a copy, where V8's UTF-8 decoder spends some
    // 17 instructions a byte (counted by bench:instructions). ASCII has no byte order mark to drop.
    if (nodeBuffer.isAscii(body)) return bytes.toString('latin1')
    if (!nodeBuffer.isUtf8(body)) invalidUtf8()
    const text = bytes.toString('utf8')
    // Same as the TextDecoder path: a byte order mark is not part of the text.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  }
  try {
    return strictUtf8.decode(body)
  } catch {
    return invalidUtf8()
  }
}

/** Whether every byte is ASCII: a native scan on Node, a loop elsewhere. */
export function isAscii(bytes: Uint8Array): boolean {
  if (nodeBuffer) return nodeBuffer.isAscii(bytes)
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false
  return true
}

/**
 * A "binary string" as some senders sign it: each UTF-16 unit of `text` cut
 * to its low byte. Node's latin1 encoder truncates the same way, natively.
 */
export function lowBytes(text: string): Uint8Array {
  if (nodeBuffer) return nodeBuffer.Buffer.from(text, 'latin1')
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff
  return out
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * {@link lowBytes} of the body's strict UTF-8 text (a leading BOM dropped, as
 * in {@link bodyText}); undefined when the body is not UTF-8. On Node the
 * units come from a native transcode and are cut by a typed-array copy: a
 * quarter of the cost of decoding to a JS string first.
 */
export function utf8LowBytes(body: Uint8Array): Uint8Array | undefined {
  if (nodeBuffer && LITTLE_ENDIAN) {
    if (!nodeBuffer.isUtf8(body)) return undefined
    const encoded = nodeBuffer.transcode(body, 'utf8', 'ucs2')
    // A Uint16Array view needs an even offset; a fresh transcode result has one, but do not rely on it.
    const bytes = encoded.byteOffset % 2 === 0 ? encoded : Uint8Array.prototype.slice.call(encoded)
    let units = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1)
    if (units[0] === 0xfeff) units = units.subarray(1)
    const out = new Uint8Array(units.length)
    out.set(units) // element-wise ToUint8: each unit's low byte
    return out
  }
  try {
    return lowBytes(bodyText(body))
  } catch {
    return undefined
  }
}

/** Strict JSON of the body: a 400 when it is not JSON. */
export function parseJson(body: Uint8Array): unknown {
  const text = bodyText(body)
  try {
    return JSON.parse(text)
  } catch {
    throw new HookguardError('body.malformed', { reason: 'body is not valid JSON' })
  }
}
