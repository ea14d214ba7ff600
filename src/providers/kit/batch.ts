/**
 * Senders that deliver several events in one request (Adyen, HubSpot): the
 * receiver queues one event per request, so a batch needs one id and one
 * type.
 *
 * @module
 */
import { encodeHex, type CryptoBackend } from '../../crypto.js'

/** The type every item shares, `'batch'` when they differ, undefined when none has one. */
export function batchType(types: ReadonlyArray<string | undefined>): string | undefined {
  const first = types[0]
  if (types.length === 0 || first === undefined) return undefined
  return types.every((type) => type === first) ? first : 'batch'
}

/** `sha256:` + the hex SHA-256 of the item keys, one per line, in order. */
export async function batchId(backend: CryptoBackend, itemKeys: readonly string[]): Promise<string> {
  const digest = await backend.digest('sha256', new TextEncoder().encode(itemKeys.join('\n')))
  return `sha256:${encodeHex(digest)}`
}
