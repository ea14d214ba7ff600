/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body. SHA-1
 * (`X-Hub-Signature`) is never used, whatever the request says. GitHub
 * signs no timestamp, and its `X-GitHub-Delivery` id (one per event, kept on
 * redelivery) is not signed. The verified MAC is given as the fingerprint:
 * a redelivery resends the same payload (same MAC), distinct events carry
 * distinct payloads, so the receiver treats a captured delivery resent
 * under a fresh delivery id as the duplicate it is.
 *
 * @module
 */
import type { WebhookEvent as OctokitWebhookEvent, WebhookEventMap } from '@octokit/webhooks-types'
import { encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseForm, parseJson, stringField } from './kit/body.js'
import { isForm, readHeader, readPrefixedHexSignature, requireIdHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link github}. `secret` is the webhook's secret. */
export type GitHubOptions = UntimedProviderOptions

/** The payload type of {@link github}: octokit's webhook event union (types from the optional `@octokit/webhooks-types`). */
export type GitHubEvent = OctokitWebhookEvent

/** `[type, payload]` for each payload of one event: `issues.opened` for an action, the bare name without one. */
type TypedPayloads<N extends string, V> = V extends { action: infer A extends string } ? [`${N}.${A}`, V] : [N, V]
type GitHubPairs = {
  [N in keyof WebhookEventMap & string]: TypedPayloads<N, WebhookEventMap[N]>
}[keyof WebhookEventMap & string]

/**
 * GitHub's event types as hookguard names them (the `X-GitHub-Event` name,
 * then `.action` when the payload has one: `issues.opened`, `push`) → octokit's
 * payload type for it, for handlers by type.
 */
export type GitHubEvents = { [P in GitHubPairs as P[0]]: P[1] }

/** What {@link github} returns: named, so inferred types that mention it stay portable in declarations. */
export type GitHubProvider = Provider<GitHubEvent, GitHubEvents>

const PREFIX = 'sha256='

/**
 * GitHub webhooks (repository, organization and GitHub App). The event type
 * is `X-GitHub-Event`, followed by `.` and the payload's `action` when it has
 * one: `issues.opened`, `pull_request.closed`, `push`, `ping`.
 *
 * @example
 * ```ts
 * const provider = github({ secret: process.env.GITHUB_WEBHOOK_SECRET! })
 * ```
 */
export function github(options: GitHubOptions): GitHubProvider {
  const name = 'github'
  // GitHub lets users pick any secret (its SDK's own tests use 8 bytes); below that is refused as weak.
  const opened = openProvider(name, options, { untimed: 'GitHub', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', true)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-hub-signature-256', 'x-hub-signature'],
    verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-hub-signature-256', PREFIX)
      const received = [signature]
      // Signature first: an unsigned request learns nothing about its other headers.
      return withKeys(opened.keys, request, (keys) => {
        const verification = { id: '', type: undefined as string | undefined }
        const verified = verifyHmac(scheme, keys, [request.body], received, verification)
        const identify = <T extends typeof verification>(result: T): T => {
          result.id = requireIdHeader(request, 'x-github-delivery')
          result.type = readHeader(request, 'x-github-event') || undefined
          return result
        }
        return verified instanceof Promise ? verified.then(identify) : identify(verified)
      })
    },
    parse(request) {
      if (!isForm(request)) return parseJson(request.body)
      // Form-encoded deliveries carry the JSON in a `payload` field.
      const payload = parseForm(request.body).payload
      if (typeof payload !== 'string')
        throw new HookguardError('body.malformed', { reason: 'form body has no payload field' })
      return parseJson(new TextEncoder().encode(payload))
    },
    describe(payload, _request, verification) {
      // `issues` alone says little: the action (`opened`, `closed` …) is what handlers route on.
      const action = verification.type === undefined ? undefined : stringField(payload, 'action')
      return { id: verification.id, type: action === undefined ? verification.type : `${verification.type}.${action}` }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          ...sign.headers,
          'x-github-delivery': sign.id ?? crypto.randomUUID(),
          'x-hub-signature-256': `${PREFIX}${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
