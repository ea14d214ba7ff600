import { describe, expect, it } from 'vitest'
import { lemonSqueezy, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, statusOf, testReceiver, verifyCode } from './core-support.js'

const SECRET = 'ls-signing-secret-4f9a2c'
const OTHER = 'ls-rotated-secret-7d1e0b'
// The shape of Lemon Squeezy's documented order_created body (JSON:API resource plus meta).
const BODY = JSON.stringify({
  meta: { event_name: 'order_created', custom_data: { customer_id: 25 }, test_mode: true, webhook_id: 'wh_1' },
  data: { type: 'orders', id: '1', attributes: { store_id: 1, identifier: '636f855c-1fb9', total: 1199 } },
})

// As Lemon Squeezy's guide computes it: crypto.createHmac('sha256', secret).update(rawBody).digest('hex').
const headersFor = (signature: string, extra: Record<string, string> = {}) => ({
  'Content-Type': 'application/json',
  'X-Event-Name': 'order_created',
  'X-Signature': signature,
  ...extra,
})

async function deliver(provider: ReturnType<typeof lemonSqueezy>, bodies: string[], secret = SECRET) {
  const receiver = testReceiver(provider)
  const events: WebhookEvent[] = []
  const results = []
  for (const body of bodies) {
    const request = { method: 'POST', headers: headersFor(hmacHex(secret, body)), body }
    results.push(await receiver.handle(request, { deliver: (e) => (events.push(e), true) }))
  }
  return { results, events }
}

describe.each(BACKENDS)('lemonSqueezy with %s', (_name, crypto) => {
  it('accepts a body signed as the guide does; the id is the SHA-256 of the body and the type meta.event_name', async () => {
    const { results, events } = await deliver(lemonSqueezy({ secret: SECRET, crypto }), [BODY])
    expect(results[0]!.status).toBe(200)
    expect(events[0]).toMatchObject({ id: sha256Id(BODY), type: 'order_created', provider: 'lemonsqueezy' })
    expect(events[0]!.payload).toEqual(JSON.parse(BODY))
    expect(events[0]!.headers['x-signature']).toBe('[redacted]')
  })

  it('a retry (same bytes) is a duplicate; another event is not', async () => {
    const other = BODY.replace('order_created', 'order_refunded')
    const { results, events } = await deliver(lemonSqueezy({ secret: SECRET, crypto }), [BODY, BODY, other])
    expect(results.map((r) => r.outcome.kind)).toEqual(['accepted', 'duplicate', 'accepted'])
    expect(events.map((e) => e.type)).toEqual(['order_created', 'order_refunded'])
  })

  it('refuses a changed body and a wrong secret; a rotation list accepts either secret', async () => {
    const provider = lemonSqueezy({ secret: SECRET, crypto })
    const signature = hmacHex(SECRET, BODY)
    expect(await verifyCode(provider, { headers: headersFor(signature), body: BODY + ' ' })).toBe('signature.invalid')
    expect(await verifyCode(provider, { headers: headersFor(hmacHex(OTHER, BODY)), body: BODY })).toBe(
      'signature.invalid',
    )
    const rotating = lemonSqueezy({ secret: [SECRET, OTHER], crypto })
    expect(await verifyCode(rotating, { headers: headersFor(hmacHex(OTHER, BODY)), body: BODY })).toBe('ok')
  })

  it('signRequest produces what the guide computes', async () => {
    const signed = await signRequest(lemonSqueezy({ secret: SECRET, crypto }), { body: BODY })
    expect(signed.headers['x-signature']).toBe(hmacHex(SECRET, BODY))
    expect(signed.headers['x-event-name']).toBe('order_created')
  })
})

describe('lemonSqueezy: type', () => {
  it('falls back to the X-Event-Name header when the body has no meta.event_name', async () => {
    const body = JSON.stringify({ data: { type: 'subscriptions', id: '9' } })
    let event: WebhookEvent | undefined
    const receiver = testReceiver(lemonSqueezy({ secret: SECRET }))
    const headers = headersFor(hmacHex(SECRET, body), { 'X-Event-Name': 'subscription_updated' })
    await receiver.handle({ method: 'POST', headers, body }, { deliver: (e) => ((event = e), true) })
    expect(event?.type).toBe('subscription_updated')
  })
})

describe('lemonSqueezy: X-Signature parsing', () => {
  const good = hmacHex(SECRET, BODY)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'Content-Type': 'application/json' }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['a sha256= prefix', 400, 'signature.malformed', headersFor(`sha256=${good}`)],
    ['upper-case hex', 400, 'signature.malformed', headersFor(good.toUpperCase())],
    ['31 bytes', 400, 'signature.malformed', headersFor(good.slice(0, 62))],
    ['base64', 400, 'signature.malformed', headersFor(Buffer.from(good, 'hex').toString('base64'))],
    ['another valid-looking MAC', 401, 'signature.invalid', headersFor('ab'.repeat(32))],
    ['the header twice', 400, 'header.duplicated', { ...headersFor(''), 'X-Signature': [good, good] }],
  ]
  headerTable(() => lemonSqueezy({ secret: SECRET }), BODY, cases, [good.slice(0, 16)])
})

describe('lemonSqueezy: configuration', () => {
  refusesWeakSecrets('lemonsqueezy', (secret) => lemonSqueezy({ secret: secret as string }))

  it('refuses a secret under 8 bytes and accepts one of 8', () => {
    expect(configMessage(() => lemonSqueezy({ secret: 'k3y-ab1' }))).toMatch(/too short \(7 bytes; at least 8/)
    expect(lemonSqueezy({ secret: 'k3y-ab12' }).name).toBe('lemonsqueezy')
  })

  it('refuses a tolerance: Lemon Squeezy signs no timestamp', async () => {
    expect(configMessage(() => lemonSqueezy({ secret: SECRET, tolerance: 60 } as never))).toMatch(/signs no timestamp/)
    expect(lemonSqueezy({ secret: SECRET }).tolerance).toBeUndefined()
    // No timestamp: an old delivery still verifies; the dedupe store is what stops a replay.
    expect(
      await statusOf(lemonSqueezy({ secret: SECRET }), { headers: headersFor(hmacHex(SECRET, BODY)), body: BODY }, 0),
    ).toEqual({ status: 200, code: 'accepted' })
  })
})
