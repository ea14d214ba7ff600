import '@shopify/shopify-api/adapters/web-api'
import { ApiVersion, shopifyApi } from '@shopify/shopify-api'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { shopify } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = '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'
const OTHER = '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'
const BODY = JSON.stringify({
  id: 820982911946154500,
  email: 'jon@example.com',
  note: 'naïve ☃',
  total_price: '403.00',
})

function headers(body = BODY, secret = SECRET, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': 'example.myshopify.com',
    'x-shopify-api-version': '2025-10',
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
    'x-shopify-triggered-at': '2023-03-29T18:00:27.877041743Z',
    ...extra,
  }
}

const sdk = shopifyApi({
  apiSecretKey: SECRET,
  apiKey: 'test-api-key',
  scopes: [],
  hostName: 'app.example.com',
  apiVersion: ApiVersion.October25,
  isEmbeddedApp: false,
  logger: { level: 0, log: () => {} },
})

async function sdkValidates(body: string, h: Record<string, string>): Promise<boolean> {
  const rawRequest = new Request('https://app.example.com/webhooks', { method: 'POST', body, headers: h })
  return (await sdk.webhooks.validate({ rawBody: body, rawRequest })).valid
}

describe('shopify: interop with @shopify/shopify-api', () => {
  it('a delivery the SDK validates passes hookguard; webhook id is the dedupe id, topic the type', async () => {
    const h = headers()
    expect(await sdkValidates(BODY, h)).toBe(true)
    const r = await runOne(shopify({ secret: SECRET }), { headers: h, body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      type: 'orders/create',
      provider: 'shopify',
    })
    expect(r.enqueued[0]!.timestamp).toBeUndefined()
    expect(r.enqueued[0]!.headers['x-shopify-hmac-sha256']).toBe('[redacted]')
  })

  it('a delivery signed by signRequest passes the SDK', async () => {
    const signed = await signRequest(shopify({ secret: SECRET }), { body: BODY, id: 'w-1' })
    expect(await sdkValidates(BODY, signed.headers)).toBe(true)
  })

  it('a forged delivery fails both', async () => {
    const h = headers(BODY, OTHER)
    expect(await sdkValidates(BODY, h)).toBe(false)
    expect((await runOne(shopify({ secret: SECRET }), { headers: h, body: BODY })).result.status).toBe(401)
  })
})

describe.each(BACKENDS)('shopify with %s', (_n, crypto) => {
  const provider = (extra = {}) => shopify({ secret: SECRET, crypto, ...extra })

  it('accepts the un-prefixed Events headers (Shopify-Hmac-Sha256, Shopify-Webhook-Id)', async () => {
    const h = headers()
    const events = {
      'shopify-hmac-sha256': h['x-shopify-hmac-sha256']!,
      'shopify-topic': 'orders/create',
      'shopify-webhook-id': 'evt-delivery-1',
      'shopify-event-id': 'evt-1',
    }
    const r = await runOne(provider(), { headers: events, body: BODY })
    expect(r.enqueued[0]).toMatchObject({ id: 'evt-delivery-1', type: 'orders/create' })
  })

  it('refuses a request whose prefixed and un-prefixed headers disagree', async () => {
    const r = await runOne(provider(), { headers: { ...headers(), 'shopify-webhook-id': 'other' }, body: BODY })
    expect([r.result.status, r.code]).toEqual([400, 'header.conflict'])
  })

  it('a retry with the same webhook id is a duplicate; a second subscription (new webhook id, same event id) is not', async () => {
    const [a, b, c] = await run(provider(), [
      { headers: headers(), body: BODY },
      { headers: headers(), body: BODY },
      { headers: headers(BODY, SECRET, { 'x-shopify-webhook-id': 'second-subscription' }), body: BODY },
    ])
    expect([a!.code, b!.code, c!.code]).toEqual(['accepted', 'duplicate', 'accepted'])
  })

  it("dedupeBy: 'event' collapses deliveries that share X-Shopify-Event-Id", async () => {
    const [a, b] = await run(provider({ dedupeBy: 'event' }), [
      { headers: headers(), body: BODY },
      { headers: headers(BODY, SECRET, { 'x-shopify-webhook-id': 'second-subscription' }), body: BODY },
    ])
    expect(a!.enqueued[0]!.id).toBe('98880550-7158-44d4-b7cd-2c97c8a091b5')
    expect(b!.code).toBe('duplicate')
  })

  it.each([
    ['a missing signature', { 'x-shopify-hmac-sha256': '' }, 401, 'signature.missing'],
    ['a hex signature', { 'x-shopify-hmac-sha256': 'ab'.repeat(32) }, 400, 'signature.malformed'],
    [
      'unpadded base64',
      { 'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(BODY).digest('base64').replace(/=+$/, '') },
      400,
      'signature.malformed',
    ],
    [
      'a base64 MAC of the wrong length (SHA-1)',
      { 'x-shopify-hmac-sha256': createHmac('sha1', SECRET).update(BODY).digest('base64') },
      400,
      'signature.malformed',
    ],
    [
      'base64 with non-canonical trailing bits',
      { 'x-shopify-hmac-sha256': 'A'.repeat(42) + 'B=' },
      400,
      'signature.malformed',
    ],
    ['a missing webhook id', { 'x-shopify-webhook-id': '' }, 400, 'id.missing'],
  ])('rejects %s', async (_t, extra, status, code) => {
    const h: Record<string, string> = { ...headers(), ...extra }
    for (const [k, v] of Object.entries(h)) if (v === '') delete h[k]
    const r = await runOne(provider(), { headers: h, body: BODY })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects a body changed after signing, and a duplicated signature header', async () => {
    expect((await runOne(provider(), { headers: headers(), body: BODY.replace('403', '404') })).code).toBe(
      'signature.invalid',
    )
    const h = headers()
    expect(
      (
        await runOne(provider(), {
          headers: { ...h, 'X-Shopify-Hmac-SHA256': h['x-shopify-hmac-sha256']! },
          body: BODY,
        })
      ).code,
    ).toBe('header.duplicated')
  })

  it('accepts either secret during a rotation', async () => {
    const rotating = provider({ secret: [OTHER, SECRET] })
    expect((await runOne(rotating, { headers: headers(BODY, SECRET), body: BODY })).code).toBe('accepted')
    expect((await runOne(rotating, { headers: headers(BODY, OTHER), body: BODY })).code).toBe('accepted')
  })

  it('never echoes the secret or a signature', async () => {
    const bad = createHmac('sha256', OTHER).update(BODY).digest('base64')
    const r = await runOne(provider(), { headers: { ...headers(), 'x-shopify-hmac-sha256': bad }, body: BODY })
    expect(everything(r)).not.toContain(SECRET)
    expect(everything(r)).not.toContain(bad)
  })
})

describe('shopify: configuration', () => {
  it('refuses a tolerance: Shopify signs no timestamp', () => {
    expect(configMessage(() => shopify({ secret: SECRET, tolerance: 300 } as never))).toMatch(/no timestamp/)
  })
  it.each(['', 'secret', 'shpss_short'])('refuses the weak secret %j', (secret) => {
    expect(configMessage(() => shopify({ secret }))).toMatch(/^hookguard: shopify: secret/)
  })
  it('refuses an unknown dedupeBy', () => {
    expect(configMessage(() => shopify({ secret: SECRET, dedupeBy: 'topic' as never }))).toMatch(/dedupeBy/)
  })
})
