/**
 * GitLab: the webhook's secret token travels as-is in `X-Gitlab-Token` and
 * is compared in constant time with the configured secret. The header IS the
 * secret, so it is listed in `sensitiveHeaders` and redacted from every event
 * and log. GitLab signs nothing and sends no timestamp: anyone who sees one
 * delivery can forge others, so serve the endpoint over HTTPS only; the
 * dedupe store is the only replay protection, and no fingerprint can be
 * given (there is no MAC over the content).
 *
 * - Id: the `Idempotency-Key` header (GitLab 17.4+, kept across retries),
 *   else `X-Gitlab-Event-UUID` (one per event; older GitLab). Neither is
 *   signed. `X-Gitlab-Webhook-UUID` is not used: it changes on every
 *   request, so a retry would look like a new event.
 * - Type: `X-Gitlab-Event` (`Push Hook`, `Merge Request Hook` …).
 *
 * GitLab's HMAC "signing token" (Standard Webhooks headers) is behind a
 * feature flag and not covered here; if your instance sends it, verify with
 * `standardWebhooks()` once GitLab documents the key format.
 *
 * @module
 */
import { constantTimeEqual, type CryptoBackend } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import { readHeader, requireSignatureHeader, tokenMayHoldCommaSpace } from './kit/headers.js'
import { openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link gitlab}. `secret` is the webhook's secret token. */
export type GitLabOptions = UntimedProviderOptions

const utf8 = new TextEncoder()

/**
 * Compares tokens as HMACs under a per-process random key: equal-length
 * digests, so neither the content nor the length of the secret shows in
 * timing. The digests of each key list are computed once.
 */
function blindComparer(backend: CryptoBackend) {
  const blind = backend.randomBytes(32)
  const digests = new WeakMap<readonly Uint8Array[], Promise<Uint8Array[]>>()
  return async function tokenMatches(keys: readonly Uint8Array[], token: string): Promise<boolean> {
    let expected = digests.get(keys)
    if (!expected) digests.set(keys, (expected = Promise.all(keys.map((key) => backend.hmac('sha256', blind, [key])))))
    const received = await backend.hmac('sha256', blind, [utf8.encode(token)])
    // Every key is compared, so the time taken does not tell which one matched.
    let matched = false
    for (const digest of await expected) if (constantTimeEqual(digest, received)) matched = true
    return matched
  }
}

function identify(request: ProviderRequest) {
  const id = readHeader(request, 'idempotency-key') || readHeader(request, 'x-gitlab-event-uuid')
  if (id === undefined || id === '')
    throw new HookguardError('id.missing', { reason: 'neither idempotency-key nor x-gitlab-event-uuid is present' })
  return { id, type: readHeader(request, 'x-gitlab-event') || undefined }
}

/**
 * GitLab project, group and system hooks.
 *
 * @example
 * ```ts
 * const provider = gitlab({ secret: process.env.GITLAB_WEBHOOK_TOKEN! })
 * ```
 */
export function gitlab(options: GitLabOptions): Provider {
  const name = 'gitlab'
  const opened = openProvider(name, options, { untimed: 'GitLab' })
  const tokenMatches = blindComparer(opened.backend)
  // The token is typed by the user: only a secret with ', ' lets the header hold one.
  const joinable = tokenMayHoldCommaSpace(options.secret)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-gitlab-token'],
    async verify(request) {
      const token = requireSignatureHeader(request, 'x-gitlab-token', { joinable })
      if (!(await tokenMatches(await opened.keys.forRequest(request), token)))
        throw invalidSignature('x-gitlab-token does not match')
      return identify(request)
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const id = sign.id ?? crypto.randomUUID()
      const [key] = await opened.keys.forSigning(sign)
      return {
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Push Hook',
          ...sign.headers,
          'idempotency-key': id,
          'x-gitlab-event-uuid': id,
          'x-gitlab-token': new TextDecoder().decode(key!),
        },
        body: sign.body,
      }
    },
  }
}
