/**
 * Per-tenant secrets: `secret` (Discord: `publicKey`) given as a function of
 * the request. Runs every shared-secret factory on both crypto backends.
 */
import { describe, expect, it } from 'vitest'
import { type CryptoBackend } from '../../src/crypto.js'
import { isHookguardError } from '../../src/errors.js'
import {
  discord,
  github,
  gitlab,
  hmac,
  intercom,
  linear,
  mailgun,
  paddle,
  shopify,
  slack,
  square,
  standardWebhooks,
  stripe,
  twilio,
  twitch,
  zoom,
  type Provider,
  type SecretRequest,
} from '../../src/index.js'
import { normalizeHeaders } from '../../src/internal/headers.js'
import { signRequest } from '../../src/testing.js'
import type { ProviderRequest } from '../../src/types/index.js'
import { BACKENDS, NOW_MS, NOW_S, testReceiver } from './core-support.js'

type Secret = string | string[] | undefined
type Resolver = (request: SecretRequest) => Secret | Promise<Secret>
type Options = { secret: Resolver; crypto: CryptoBackend; secretTimeoutMs?: number; secretCache?: object }

/** Each shared-secret factory with two tenants' secrets in its format, a body it accepts, and a URL where it signs one. */
const FACTORIES: Array<{
  name: string
  make: (o: Options) => Provider
  a: string
  b: string
  body: string
  url?: string
}> = [
  {
    name: 'stripe',
    make: stripe,
    a: 'whsec_tenant_a_4eC39HqLyjWDarjt',
    b: 'whsec_tenant_b_Zk3n8QpL2vX9mR4t',
    body: '{"id":"evt_1","type":"x"}',
  },
  { name: 'github', make: github, a: 'tenant-a-github-secret', b: 'tenant-b-github-secret', body: '{"zen":"a"}' },
  {
    name: 'standardWebhooks',
    make: standardWebhooks,
    a: 'whsec_' + Buffer.from('tenant-a-standard-webhooks-key-3').toString('base64'),
    b: 'whsec_' + Buffer.from('tenant-b-standard-webhooks-key-3').toString('base64'),
    body: '{"type":"a"}',
  },
  {
    name: 'hmac',
    make: (o) => hmac({ ...o, signatureHeader: 'x-sig', timestampHeader: 'x-ts', idHeader: 'x-id' }),
    a: 'tenant-a-hmac-secret-0123',
    b: 'tenant-b-hmac-secret-0123',
    body: '{"type":"a"}',
  },
  {
    name: 'slack',
    make: slack,
    a: 'tenant-a-slack-signing-secret',
    b: 'tenant-b-slack-signing-secret',
    body: '{"type":"event_callback","event_id":"Ev1","event":{"type":"x"}}',
  },
  {
    name: 'shopify',
    make: shopify,
    a: 'shpss_tenant_a_5f0c2b7d9e1a4c3b',
    b: 'shpss_tenant_b_5f0c2b7d9e1a4c3b',
    body: '{"id":1}',
  },
  {
    name: 'twilio',
    make: twilio,
    a: 'aaaaaaaa11111111bbbbbbbb22222222',
    b: 'cccccccc33333333dddddddd44444444',
    body: 'MessageSid=SM1&MessageStatus=sent',
    url: 'https://hooks.example.com/twilio',
  },
  {
    name: 'paddle',
    make: paddle,
    a: 'pdl_ntfset_tenant_a_01gkpjp8bkm3',
    b: 'pdl_ntfset_tenant_b_01gkpjp8bkm3',
    body: '{"event_id":"e1"}',
  },
  {
    name: 'linear',
    make: linear,
    a: 'lin_wh_tenant_a_5mTq2v8XkR1pN7b',
    b: 'lin_wh_tenant_b_5mTq2v8XkR1pN7b',
    body: '{"type":"Issue","action":"create"}',
  },
  {
    name: 'twitch',
    make: twitch,
    a: 'tenant-a-eventsub-secret',
    b: 'tenant-b-eventsub-secret',
    body: '{"subscription":{"type":"x"}}',
  },
  {
    name: 'gitlab',
    make: gitlab,
    a: 'glwt-tenant-a-7Qm2xK9pV4r',
    b: 'glwt-tenant-b-7Qm2xK9pV4r',
    body: '{"object_kind":"push"}',
  },
  {
    name: 'zoom',
    make: zoom,
    a: 'tenant-a-zoom-secret-tok',
    b: 'tenant-b-zoom-secret-tok',
    body: '{"event":"meeting.started"}',
  },
  {
    name: 'square',
    make: square,
    a: 'tenant-a-square-signature-key',
    b: 'tenant-b-square-signature-key',
    body: '{"event_id":"e1"}',
    url: 'https://hooks.example.com/square',
  },
  {
    name: 'intercom',
    make: intercom,
    a: 'tenant-a-intercom-client-secret',
    b: 'tenant-b-intercom-client-secret',
    body: '{"id":"notif_1"}',
  },
  {
    name: 'mailgun',
    make: mailgun,
    a: 'key-tenant-a-3ax6xnjp29jd6fds4',
    b: 'key-tenant-b-3ax6xnjp29jd6fds4',
    body: '{"event-data":{"event":"delivered"}}',
  },
]

/** Tenant by the `x-tenant` header; the secrets table can be edited by a test. */
function tenants(secrets: Record<string, Secret>) {
  const calls: SecretRequest[] = []
  const resolver: Resolver = (request) => {
    calls.push(request)
    const tenant = request.headers['x-tenant']
    return typeof tenant === 'string' ? secrets[tenant] : undefined
  }
  return { resolver, calls }
}

function providerRequest(
  signed: { headers: Record<string, string>; body: string | Uint8Array; url?: string },
  url?: string,
): ProviderRequest {
  const body = typeof signed.body === 'string' ? new TextEncoder().encode(signed.body) : signed.body
  return {
    method: 'POST',
    url: signed.url ?? url ?? '/hooks',
    headers: normalizeHeaders(signed.headers),
    body,
    now: NOW_MS,
  }
}

async function outcome(provider: Provider, request: ProviderRequest): Promise<{ code: string; reason?: string }> {
  try {
    await provider.verify(request)
    return { code: 'ok' }
  } catch (error) {
    if (!isHookguardError(error)) throw error
    return { code: error.code, reason: error.reason }
  }
}

async function signFor(provider: Provider, tenant: string, body: string, url?: string) {
  const signed = await signRequest(provider, { body, timestamp: NOW_S, url, headers: { 'x-tenant': tenant } })
  return { ...signed, headers: { ...signed.headers } }
}

describe.each(BACKENDS)('per-tenant secrets with %s', (_label, crypto) => {
  describe.each(FACTORIES.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    it('two tenants verify with their own secrets and never with each other’s', async () => {
      const { resolver } = tenants({ a: f.a, b: f.b })
      const provider = f.make({ secret: resolver, crypto })
      const signedA = await signFor(provider, 'a', f.body, f.url)
      expect(await outcome(provider, providerRequest(signedA, f.url))).toEqual({ code: 'ok' })
      const signedB = await signFor(provider, 'b', f.body, f.url)
      expect(await outcome(provider, providerRequest(signedB, f.url))).toEqual({ code: 'ok' })
      // A's delivery presented as B's: B's secret does not verify it.
      const crossed = providerRequest({ ...signedA, headers: { ...signedA.headers, 'x-tenant': 'b' } }, f.url)
      expect((await outcome(provider, crossed)).code).toBe('signature.invalid')
    })

    it('an unknown tenant is the same 401 as a bad signature', async () => {
      const { resolver } = tenants({ a: f.a })
      const provider = f.make({ secret: resolver, crypto })
      const signed = await signFor(provider, 'a', f.body, f.url)
      const stranger = providerRequest({ ...signed, headers: { ...signed.headers, 'x-tenant': 'zz' } }, f.url)
      expect(await outcome(provider, stranger)).toEqual({ code: 'signature.invalid', reason: 'unknown tenant' })
    })

    it('a resolver that throws, or answers a weak secret, is a 503 secret.unavailable that never names the secret', async () => {
      const throwing = f.make({ secret: () => Promise.reject(new Error('db down')), crypto })
      const signer = f.make({ secret: () => f.a, crypto })
      const signed = await signFor(signer, 'a', f.body, f.url)
      expect((await outcome(throwing, providerRequest(signed, f.url))).code).toBe('secret.unavailable')
      const weak = f.make({ secret: () => 'changeme', crypto })
      const result = await outcome(weak, providerRequest(signed, f.url))
      expect(result.code).toBe('secret.unavailable')
      expect(result.reason).toMatch(/placeholder/)
      expect(result.reason).not.toContain('changeme')
    })
  })

  it('the resolver sees the method, url and headers only, never the body', async () => {
    const { resolver, calls } = tenants({ a: FACTORIES[0]!.a })
    const provider = stripe({ secret: resolver, crypto })
    const signed = await signFor(provider, 'a', '{"id":"evt_1"}')
    calls.length = 0
    await provider.verify({ ...providerRequest(signed), url: '/hooks?x=1' })
    expect(calls).toHaveLength(1)
    expect(Object.keys(calls[0]!).sort()).toEqual(['headers', 'method', 'url'])
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/hooks?x=1' })
    expect(calls[0]!.headers['x-tenant']).toBe('a')
  })

  it('decodes each distinct secret once: the same key bytes serve every request until the entry expires', async () => {
    const keysSeen: Uint8Array[] = []
    const spy: CryptoBackend = {
      ...crypto,
      hmac: (algorithm, key, pieces) => (keysSeen.push(key), crypto.hmac(algorithm, key, pieces)),
    }
    const { resolver } = tenants({ a: FACTORIES[0]!.a, b: FACTORIES[0]!.b })
    const provider = stripe({ secret: resolver, crypto: spy, secretCache: { ttlMs: 60_000, max: 1 } })
    const signedA = providerRequest(await signFor(stripe({ secret: FACTORIES[0]!.a, crypto }), 'a', '{"id":"e"}'))
    keysSeen.length = 0
    for (let i = 0; i < 3; i++) expect(await outcome(provider, signedA)).toEqual({ code: 'ok' })
    expect(new Set(keysSeen).size).toBe(1)
    // max: 1 — another tenant's secret evicts A's decoded key, so A is decoded anew.
    const signedB = providerRequest(await signFor(stripe({ secret: FACTORIES[0]!.b, crypto }), 'b', '{"id":"e"}'))
    expect(await outcome(provider, signedB)).toEqual({ code: 'ok' })
    expect(await outcome(provider, signedA)).toEqual({ code: 'ok' })
    expect(new Set(keysSeen).size).toBe(3)
  })

  it('a rotation list per tenant: either secret verifies', async () => {
    const [oldSecret, newSecret] = [FACTORIES[0]!.a, FACTORIES[0]!.b]
    const provider = stripe({ secret: () => [oldSecret, newSecret], crypto })
    for (const secret of [oldSecret, newSecret]) {
      const signed = await signFor(stripe({ secret, crypto }), 'a', '{"id":"e"}')
      expect(await outcome(provider, providerRequest(signed))).toEqual({ code: 'ok' })
    }
  })

  it('a slow resolver is a 503 within secretTimeoutMs, or within the receiver’s budget when the option is unset', async () => {
    const never = () => new Promise<string>(() => {})
    const signed = providerRequest(await signFor(stripe({ secret: FACTORIES[0]!.a, crypto }), 'a', '{"id":"e"}'))
    let started = performance.now()
    const bounded = stripe({ secret: never, crypto, secretTimeoutMs: 50 })
    expect((await outcome(bounded, signed)).code).toBe('secret.unavailable')
    expect(performance.now() - started).toBeLessThan(1000)
    started = performance.now()
    const budgeted = stripe({ secret: never, crypto })
    expect((await outcome(budgeted, { ...signed, secretTimeoutMs: 40 })).code).toBe('secret.unavailable')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('end to end: unknown tenant 401, throwing resolver 503 with Retry-After, neither body names a secret', async () => {
    const { resolver } = tenants({ a: FACTORIES[0]!.a })
    const signed = await signFor(stripe({ secret: resolver, crypto }), 'a', '{"id":"evt_e2e","type":"x"}')
    const send = (provider: Provider, tenant: string) =>
      testReceiver(provider).handle(
        { method: 'POST', headers: { ...signed.headers, 'x-tenant': tenant }, body: signed.body },
        { deliver: () => true },
      )
    expect((await send(stripe({ secret: resolver, crypto }), 'a')).status).toBe(200)
    const unknown = await send(stripe({ secret: resolver, crypto }), 'nobody')
    expect(unknown.status).toBe(401)
    const down = await send(
      stripe({
        secret: () => {
          throw new Error('vault sealed')
        },
        crypto,
      }),
      'a',
    )
    expect(down.status).toBe(503)
    expect(down.headers['retry-after']).toBeDefined()
    for (const result of [unknown, down]) expect(result.body).not.toContain(FACTORIES[0]!.a)
  })

  it('discord takes publicKey as a function: each application verifies with its own key', async () => {
    const keys = {
      a: {
        publicKey: '96bab99ebcad86927c0cf42ab071f53667af0d76890b9515fbf25875ee527cae',
        privateKey: '6f9a1c3e5b7d2f4a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a',
      },
    }
    const signer = discord({ ...keys.a, crypto })
    const body = JSON.stringify({ id: '1', type: 2, data: { name: 'ping' } })
    const signed = await signRequest(signer, { body, timestamp: NOW_S, headers: { 'x-app': 'a' } })
    const provider = discord({
      publicKey: ({ headers }) => (headers['x-app'] === 'a' ? keys.a.publicKey : undefined),
      crypto,
    })
    expect(await outcome(provider, providerRequest(signed))).toEqual({ code: 'ok' })
    const other = providerRequest({ ...signed, headers: { ...signed.headers, 'x-app': 'b' } })
    expect(await outcome(provider, other)).toEqual({ code: 'signature.invalid', reason: 'unknown tenant' })
  })
})

describe('static secrets keep the synchronous path', () => {
  it('verify answers without a promise on node:crypto for a string secret', async () => {
    const [, node] = BACKENDS[0]!
    const provider = stripe({ secret: FACTORIES[0]!.a, crypto: node })
    const signed = providerRequest(await signFor(provider, 'a', '{"id":"e"}'))
    const result = provider.verify(signed)
    expect(result).not.toBeInstanceOf(Promise)
    expect(result).toMatchObject({ timestamp: NOW_S })
  })

  it('refuses bad cache and timeout options at construction', () => {
    const secret = () => 'x'
    expect(() => stripe({ secret, secretTimeoutMs: 0 })).toThrow(/secretTimeoutMs/)
    expect(() => stripe({ secret, secretCache: { max: 0 } })).toThrow(/secretCache.max/)
    expect(() => stripe({ secret, secretCache: { ttlMs: -1 } })).toThrow(/secretCache.ttlMs/)
  })
})
