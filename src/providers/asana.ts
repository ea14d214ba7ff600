/**
 * Asana: `X-Hook-Signature`, hex HMAC-SHA256 of the raw body keyed by the
 * webhook's secret as text. No timestamp is signed.
 *
 * - The secret comes from the creation handshake: while `POST /webhooks` is
 *   in flight, Asana sends a POST with an `X-Hook-Secret` header and no
 *   signature; it is answered 200 with the same header, never enqueued.
 *   That handshake is not authenticated (anyone can send one), so the
 *   secret to trust is the `X-Hook-Secret` field of Asana's answer to your
 *   own `POST /webhooks`. Store it per webhook and give `secret` as a
 *   resolver that finds it (by the path of the target URL, for instance).
 *   `onHandshake` is there for setups that store it as it arrives; do that
 *   only while your own creation call is in flight.
 * - Id: Asana sends a batch (`events[]`) with no delivery id, so the id is
 *   `sha256:` + the hex SHA-256 of the raw (signed) body. Every event
 *   carries its `created_at`, so distinct batches differ; heartbeats
 *   (`{"events":[]}`) repeat byte for byte and dedupe, which is harmless.
 *   No fingerprint: the id is already a digest of the signed bytes.
 * - Type: `<resource_type>.<action>` (`task.changed`) when every event of
 *   the batch has the same, `batch` when they differ.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type EventDescription, type ProviderRequest, type Provider, type SignOptions } from '../types/index.js'
import { batchType } from './kit/batch.js'
import { bodyHashId, parseJson, record, stringField } from './kit/body.js'
import { readHeader, readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys, type SecretRequest } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

export interface AsanaOptions extends UntimedProviderOptions {
  /**
   * Called with the `X-Hook-Secret` of a creation handshake before it is
   * answered. The handshake is unauthenticated: store the secret only for a
   * webhook you are creating right now. When it throws, the handshake gets
   * 503 and Asana refuses to create the webhook.
   * @default none (the handshake is answered; store the secret from Asana's answer to `POST /webhooks`)
   */
  onHandshake?: (hookSecret: string, request: SecretRequest) => void | Promise<void>
}

/** One Asana event of a delivery. */
export interface AsanaEvent {
  action: string
  created_at: string
  resource: { gid: string; resource_type: string; [field: string]: unknown }
  [field: string]: unknown
}

/** The payload type of {@link asana}: a batch of events (empty for a heartbeat). */
export interface AsanaPayload {
  events: AsanaEvent[]
}

/** Secrets Asana hands out are 64 hex digits; anything printable and bounded is echoed. */
const HOOK_SECRET_RE = /^[\x21-\x7e]{16,256}$/

function eventsType(payload: unknown): string | undefined {
  const events = record(payload)?.events
  if (!Array.isArray(events)) return undefined
  return batchType(
    events.map((event) => {
      const action = stringField(event, 'action')
      const resource = stringField(record(event)?.resource, 'resource_type')
      return action && resource ? `${resource}.${action}` : undefined
    }),
  )
}

/**
 * Asana webhooks.
 *
 * @example
 * ```ts
 * // The X-Hook-Secret from Asana's answer to POST /webhooks, stored by webhook target path.
 * const provider = asana({ secret: ({ url }) => hookSecrets.get(new URL(url!).pathname) })
 * ```
 */
export function asana(options: AsanaOptions): Provider<AsanaPayload> {
  const name = 'asana'
  const opened = openProvider(name, options, { untimed: 'Asana' })
  const scheme = hmacScheme(opened, 'sha256', false)
  const onHandshake = options.onHandshake
  if (onHandshake !== undefined && typeof onHandshake !== 'function')
    throw configError('asana: onHandshake must be a function (hookSecret, request) => void')
  // Requests verified as handshakes, with the secret they carry.
  const handshakes = new WeakMap<ProviderRequest, string>()

  async function answerHandshake(request: ProviderRequest, hookSecret: string): Promise<EventDescription> {
    if (onHandshake) {
      try {
        await onHandshake(hookSecret, { method: request.method, url: request.url, headers: request.headers })
      } catch (error) {
        throw new HookguardError('secret.unavailable', { reason: 'asana: onHandshake threw', cause: error })
      }
    }
    return { type: 'handshake', handshake: { status: 200, headers: { 'x-hook-secret': hookSecret }, body: '' } }
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-hook-signature', 'x-hook-secret'],
    verify(request) {
      const signature = readHeader(request, 'x-hook-signature')
      const hookSecret = readHeader(request, 'x-hook-secret')
      if ((signature === undefined || signature === '') && hookSecret !== undefined) {
        if (!HOOK_SECRET_RE.test(hookSecret))
          throw new HookguardError('header.malformed', {
            reason: 'x-hook-secret is not 16 to 256 printable characters',
          })
        handshakes.set(request, hookSecret)
        return { type: 'handshake' }
      }
      const received = [readPrefixedHexSignature(request, 'x-hook-signature', '', 32)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => (handshakes.has(request) ? undefined : parseJson(request.body)),
    async describe(payload, request) {
      const hookSecret = handshakes.get(request)
      if (hookSecret !== undefined) return answerHandshake(request, hookSecret)
      return { id: await bodyHashId(opened.backend, request.body), type: eventsType(payload) }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      const headers = { 'content-type': 'application/json; charset=utf-8', ...sign.headers }
      return { headers: { ...headers, 'x-hook-signature': encodeHex(mac) }, body: sign.body }
    },
  }
}
