/**
 * Dropbox: `X-Dropbox-Signature`, hex HMAC-SHA256 of the raw body keyed by
 * the app secret. No timestamp is signed.
 *
 * - Verification request: a GET with `?challenge=…` when the webhook URI is
 *   added; the challenge is echoed as `text/plain` with
 *   `X-Content-Type-Options: nosniff` (Dropbox's advice against reflected
 *   XSS). It carries nothing secret and is not authenticated.
 * - Id: Dropbox sends no id, and its notification only says "these accounts
 *   changed" (`list_folder.accounts`, `delta.users`): two changes of the same
 *   account a minute apart produce byte-identical, identically signed
 *   requests, indistinguishable from a retry. Deduping on the body would
 *   drop the second notification for as long as the store remembers the
 *   first (days), and the app would miss that change. So by default every
 *   delivery is its own event: the id is `sha256:<hex of the body>@<ms
 *   received>.<random>`. A retry then runs the handler again, which is what
 *   Dropbox's design expects (the handler calls `list_folder/continue` with
 *   its cursor, which is idempotent). `coalesceMs` makes identical bodies
 *   within one slot of time one event (`sha256:<hex>@<slot start ms>`), for
 *   handlers that would rather trade that risk for fewer runs. No
 *   fingerprint: the MAC covers only the body.
 * - Type: `list_folder` (or the body's first member).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { configError } from '../errors.js'
import { SIGN, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, record } from './kit/body.js'
import { challengeValue, plainTextAnswer, queryParams, type HandshakeProvider } from './kit/handshake.js'
import { readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

export interface DropboxOptions extends UntimedProviderOptions {
  /**
   * Identical bodies received within the same `coalesceMs`-long slot of the
   * receiver's clock (slots start at multiples of `coalesceMs` since the
   * epoch) are one event: the later ones are answered as duplicates. No
   * state is kept, so every instance of a receiver agrees. A change made
   * within the slot after the handler ran is then seen only at the next
   * notification: keep it short, or 0.
   * @default 0 (every delivery is its own event)
   */
  coalesceMs?: number
}

/** The payload type of {@link dropbox}: which accounts (or users, or teams) have changes. */
export interface DropboxNotification {
  list_folder?: { accounts: string[] }
  delta?: { users: number[] }
  [member: string]: unknown
}

function checkCoalesce(value: unknown): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw configError('dropbox: coalesceMs must be a finite number of milliseconds, 0 or more')
  return value
}

/**
 * Dropbox webhooks (file change notifications).
 *
 * @example
 * ```ts
 * const provider = dropbox({ secret: process.env.DROPBOX_APP_SECRET! })
 * ```
 */
export function dropbox(options: DropboxOptions): HandshakeProvider<DropboxNotification> {
  const name = 'dropbox'
  // Dropbox app secrets are 15 characters.
  const opened = openProvider(name, options, { untimed: 'Dropbox', secret: { minBytes: 12 } })
  const scheme = hmacScheme(opened, 'sha256', false)
  const coalesceMs = checkCoalesce(options.coalesceMs)

  function eventId(hash: string, request: ProviderRequest): string {
    if (coalesceMs === 0) return `sha256:${hash}@${request.now}.${encodeHex(opened.backend.randomBytes(4))}`
    return `sha256:${hash}@${Math.floor(request.now / coalesceMs) * coalesceMs}`
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-dropbox-signature'],
    handshakeMethods: ['GET'],
    handshake: (request) => plainTextAnswer(challengeValue(queryParams(request).get('challenge'), 'challenge')),
    verify(request) {
      const received = [readPrefixedHexSignature(request, 'x-dropbox-signature', '', 32)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      const hash = encodeHex(await opened.backend.digest('sha256', request.body))
      const members = Object.keys(record(payload) ?? {})
      return { id: eventId(hash, request), type: members.includes('list_folder') ? 'list_folder' : members[0] }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      const headers = { 'content-type': 'application/json', ...sign.headers }
      return { headers: { ...headers, 'x-dropbox-signature': encodeHex(mac) }, body: sign.body }
    },
  }
}
