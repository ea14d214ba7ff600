/**
 * Shared pieces of the signing helpers behind `hookguard/testing`.
 *
 * @module
 */
import { encodeHex, type CryptoBackend } from '../../crypto.js'
import type { SignedRequest, SignOptions } from '../../types/index.js'

/** Seconds from a signing helper's options. */
export function signingTimestamp(options: { timestamp?: number; now?: () => number }): number {
  return options.timestamp ?? Math.floor((options.now ?? Date.now)() / 1000)
}

/**
 * Signs the `v0:{timestamp}:{body}` scheme Slack and Zoom share: hex
 * HMAC-SHA256 sent as `v0=<hex>` beside the timestamp header.
 */
export async function signV0(
  backend: CryptoBackend,
  key: Uint8Array,
  sign: SignOptions,
  headers: { timestamp: string; signature: string; contentType: string },
): Promise<SignedRequest> {
  const timestamp = signingTimestamp(sign)
  const mac = await backend.hmac('sha256', key, [`v0:${timestamp}:`, sign.body])
  return {
    headers: {
      'content-type': headers.contentType,
      ...sign.headers,
      [headers.timestamp]: String(timestamp),
      [headers.signature]: `v0=${encodeHex(mac)}`,
    },
    body: sign.body,
  }
}

/** The body of a signing request as text. */
export function signBodyText(sign: SignOptions): string {
  return typeof sign.body === 'string' ? sign.body : new TextDecoder().decode(sign.body)
}
