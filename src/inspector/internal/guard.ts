/**
 * Internal: what stands between a browser and a replay. A replay POST must
 * come from this page's own origin (the `Origin` header, or
 * `Sec-Fetch-Site: same-origin` when a browser sends no Origin), and carry
 * the form token the detail page of that delivery was rendered with: an
 * HMAC of the delivery id and the time it was issued, under a key only this
 * inspector knows, valid for an hour. Web Crypto only, so the handler runs
 * on any runtime with `fetch`.
 *
 * @module
 */
import { constantTimeEqual, decodeBase64, encodeBase64, toArrayBuffer } from '../../crypto.js'

/** How long a rendered Replay button stays usable. */
export const TOKEN_TTL_MS = 60 * 60 * 1000
const FUTURE_SKEW_MS = 60 * 1000
const encoder = new TextEncoder()

export interface FormTokens {
  mint(deliveryId: string): Promise<string>
  check(deliveryId: string, token: unknown): Promise<boolean>
}

export function formTokens(secret: Uint8Array, now: () => number): FormTokens {
  const key = globalThis.crypto.subtle.importKey(
    'raw',
    toArrayBuffer(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  async function mac(deliveryId: string, issued: number): Promise<Uint8Array> {
    const message = encoder.encode(`hookguard-inspector-replay\n${deliveryId}\n${issued}`)
    return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await key, toArrayBuffer(message)))
  }
  return {
    async mint(deliveryId) {
      const issued = Math.floor(now())
      return `${issued}.${encodeBase64(await mac(deliveryId, issued), 'base64url')}`
    },
    async check(deliveryId, token) {
      if (typeof token !== 'string' || token.length > 200) return false
      const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token)
      if (!match) return false
      const issued = Number(match[1])
      const age = now() - issued
      if (age > TOKEN_TTL_MS || age < -FUTURE_SKEW_MS) return false
      const received = decodeBase64(match[2]!, 'base64url')
      return received !== undefined && constantTimeEqual(received, await mac(deliveryId, issued))
    },
  }
}

/**
 * The request comes from a page of this origin (or of one of `trusted`, for
 * proxies that change the scheme or host). Browsers send `Origin: null` on
 * a same-origin POST from a page under `Referrer-Policy: no-referrer`, so a
 * missing or opaque Origin falls back to `Sec-Fetch-Site`, which page
 * scripts cannot set.
 */
export function sameOrigin(request: Request, url: URL, trusted: ReadonlySet<string>): boolean {
  const origin = request.headers.get('origin')
  if (origin !== null && origin !== 'null') return origin === url.origin || trusted.has(origin)
  return request.headers.get('sec-fetch-site') === 'same-origin'
}

/** A fresh CSP nonce. */
export function nonce(): string {
  return encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(18)))
}

/**
 * Headers on every answer: no inline script or style without the page's
 * nonce, nothing loaded from elsewhere, no framing, no sniffing, no caching,
 * no referrer to other sites (URLs carry delivery ids).
 */
export function securityHeaders(pageNonce: string | undefined): Record<string, string> {
  const csp = pageNonce
    ? `default-src 'none'; script-src 'nonce-${pageNonce}'; style-src 'nonce-${pageNonce}'; img-src data:; ` +
      `form-action 'self'; base-uri 'none'; frame-ancestors 'none'`
    : `default-src 'none'; frame-ancestors 'none'; sandbox`
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not no-referrer: under it browsers send `Origin: null` even on same-origin POSTs.
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  }
}
