/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body. SHA-1
 * (`X-Hub-Signature`) is never used, whatever the request says. GitHub
 * signs no timestamp: the dedupe store (keyed by `X-GitHub-Delivery`) is the
 * only replay protection.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  invalidSignature,
  matchHmac,
  parseForm,
  parseJson,
  type ProviderOptions,
  readHeader,
  readPrefixedHexSignature,
  resolveBackend,
  resolveSecrets,
} from './shared.js'

export type GitHubOptions = Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'>

const PREFIX = 'sha256='

function identified(id: string | undefined, type: string | undefined): { id: string; type: string | undefined } {
  if (id === undefined || id === '') throw new HookguardError('id.missing', { reason: 'x-github-delivery is missing' })
  return { id, type }
}

function isForm(request: ProviderRequest): boolean {
  const type = readHeader(request, 'content-type')
  return type !== undefined && type.toLowerCase().startsWith('application/x-www-form-urlencoded')
}

/** GitHub webhooks (repository, organization and GitHub App). */
export function github(options: GitHubOptions): Provider {
  const name = 'github'
  if ('tolerance' in options && (options as ProviderOptions).tolerance !== undefined) {
    throw configError(
      'github: GitHub signs no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store',
    )
  }
  // GitHub lets users pick any secret (its SDK's own tests use 8 bytes); below that is refused as weak.
  const keys = resolveSecrets(name, options.secret, { minBytes: 8 })
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-hub-signature-256', 'x-hub-signature'],
    verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-hub-signature-256', PREFIX)
      const id = readHeader(request, 'x-github-delivery')
      const type = readHeader(request, 'x-github-event') || undefined
      // Signature first: an unsigned request learns nothing about its other headers.
      const matched = matchHmac(backend, 'sha256', keys, [request.body], [signature])
      if (matched === true) return identified(id, type)
      if (matched === false) throw invalidSignature()
      return matched.then((ok) => {
        if (!ok) throw invalidSignature()
        return identified(id, type)
      })
    },
    parse(request) {
      if (!isForm(request)) return parseJson(request.body)
      // Form-encoded deliveries carry the JSON in a `payload` field.
      const form = parseForm(request.body)
      const payload = form.payload
      if (typeof payload !== 'string')
        throw new HookguardError('body.malformed', { reason: 'form body has no payload field' })
      return parseJson(new TextEncoder().encode(payload))
    },
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const mac = await backend.hmac('sha256', keys[0]!, [sign.body])
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
