/**
 * GitLab: the webhook's secret token travels as-is in `X-Gitlab-Token` and
 * is compared in constant time with the configured secret. The header IS the
 * secret, so it is listed in `sensitiveHeaders` and redacted from every event
 * and log. GitLab signs nothing and sends no timestamp: anyone who sees one
 * delivery can forge others, so serve the endpoint over HTTPS only; the
 * dedupe store is the only replay protection.
 *
 * - Id: the `Idempotency-Key` header (GitLab 17.4+, kept across retries),
 *   else `X-Gitlab-Event-UUID` (one per event; older GitLab).
 *   `X-Gitlab-Webhook-UUID` is not used: it changes on every request, so a
 *   retry would look like a new event.
 * - Type: `X-Gitlab-Event` (`Push Hook`, `Merge Request Hook` …).
 *
 * GitLab's HMAC "signing token" (Standard Webhooks headers) is behind a
 * feature flag and not covered here; if your instance sends it, verify with
 * `standardWebhooks()` once GitLab documents the key format.
 *
 * @module
 */
import { constantTimeEqual } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import {
  invalidSignature,
  parseJson,
  readHeader,
  requireSignatureHeader,
  resolveBackend,
  resolveSecrets,
  type ProviderOptions,
} from './shared.js'

export type GitLabOptions = Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'>

const utf8 = new TextEncoder()

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
  const raw = options as ProviderOptions
  if (raw?.tolerance !== undefined || raw?.skipTimestampCheck !== undefined) {
    throw configError(
      'gitlab: GitLab sends no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store',
    )
  }
  const keys = resolveSecrets(name, options?.secret)
  const backend = resolveBackend(options.crypto)
  // Tokens are compared as HMACs under a per-process random key: equal-length
  // digests, so neither the content nor the length of the secret shows in timing.
  const blind = backend.randomBytes(32)
  const expected = Promise.all(keys.map((key) => backend.hmac('sha256', blind, [key])))

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-gitlab-token'],
    async verify(request) {
      const token = await backend.hmac('sha256', blind, [
        utf8.encode(requireSignatureHeader(request, 'x-gitlab-token')),
      ])
      // Every key is compared, so the time taken does not tell which one matched.
      let matched = false
      for (const digest of await expected) if (constantTimeEqual(digest, token)) matched = true
      if (!matched) throw invalidSignature('x-gitlab-token does not match')
      const id = readHeader(request, 'idempotency-key') || readHeader(request, 'x-gitlab-event-uuid')
      if (id === undefined || id === '')
        throw new HookguardError('id.missing', { reason: 'neither idempotency-key nor x-gitlab-event-uuid is present' })
      const type = readHeader(request, 'x-gitlab-event')
      return { id, type: type || undefined }
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    [SIGN](sign: SignOptions) {
      const id = sign.id ?? crypto.randomUUID()
      return {
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Push Hook',
          ...sign.headers,
          'idempotency-key': id,
          'x-gitlab-event-uuid': id,
          'x-gitlab-token': new TextDecoder().decode(keys[0]!),
        },
        body: sign.body,
      }
    },
  }
}
