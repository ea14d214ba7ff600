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
    return typeof buffer?.isUtf8 === 'function' ? buffer : undefined
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
    if (!nodeBuffer.isUtf8(body)) invalidUtf8()
    const text = nodeBuffer.Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
    // Same as the TextDecoder path: a byte order mark is not part of the text.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  }
  try {
    return strictUtf8.decode(body)
  } catch {
    return invalidUtf8()
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
