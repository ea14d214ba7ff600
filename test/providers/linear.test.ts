import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { linear } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, NOW_S } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = 'lin_wh_5mTq2v8XkR1pN7bC4dF6gH9jL0zA3sW'
const OTHER = 'lin_wh_Yh2Kp9Vw3Qx7Rt5Zm1Nb8Lc4Jd6Fg0Sa'
const DELIVERY = '234d1a4e-b617-4388-90fe-adc3633d6b72'

function body(ms = NOW_MS, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    action: 'create',
    type: 'Issue',
    data: { id: 'e1ab7ec5-2f3d-4a35-9b2c-1c8f7a6c1a00', title: 'Ünïcode title', identifier: 'ENG-42' },
    url: 'https://linear.app/acme/issue/ENG-42',
    createdAt: '2023-11-14T22:13:20.000Z',
    organizationId: '9b2c1c8f-7a6c-4a35-8e1a-b7ec52f3d1a0',
    webhookTimestamp: ms,
    webhookId: '000042e3-d123-4980-b49f-8e140eef9329',
    ...extra,
  })
}

function headers(text: string, secret = SECRET, id = DELIVERY): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'linear-delivery': id,
    'linear-event': 'Issue',
    'linear-signature': createHmac('sha256', secret).update(text).digest('hex'),
  }
}

describe.each(BACKENDS)('linear with %s', (_n, crypto) => {
  const provider = (extra = {}) => linear({ secret: SECRET, crypto, ...extra })

  it('accepts a signed delivery: id from Linear-Delivery, type Issue.create, timestamp from webhookTimestamp', async () => {
    const text = body()
    const r = await runOne(provider(), { headers: headers(text), body: text })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: DELIVERY, type: 'Issue.create', timestamp: NOW_S, provider: 'linear' })
    expect(r.enqueued[0]!.headers['linear-signature']).toBe('[redacted]')
  })

  it('checks webhookTimestamp (ms) in both directions with a 60 s default, like Linear’s SDK', async () => {
    for (const [ms, code] of [
      [NOW_MS - 61_000, 'timestamp.out_of_range'],
      [NOW_MS + 61_000, 'timestamp.out_of_range'],
      [NOW_MS - 59_000, 'accepted'],
      [NOW_MS + 59_000, 'accepted'],
    ] as const) {
      const text = body(ms)
      expect((await runOne(provider(), { headers: headers(text), body: text })).code).toBe(code)
    }
    const old = body(NOW_MS - 200_000)
    expect((await runOne(provider({ tolerance: 300 }), { headers: headers(old), body: old })).code).toBe('accepted')
  })

  it('reads webhookTimestamp only after the signature matched: a forged stale body is a signature failure', async () => {
    const text = body(NOW_MS - 3_600_000)
    const r = await runOne(provider(), { headers: headers(text, OTHER), body: text })
    expect(r.code).toBe('signature.invalid')
  })

  it.each([
    ['a missing webhookTimestamp', { webhookTimestamp: undefined }, 'timestamp.missing'],
    ['a string webhookTimestamp', { webhookTimestamp: String(NOW_MS) }, 'timestamp.malformed'],
    ['a fractional webhookTimestamp', { webhookTimestamp: NOW_MS + 0.5 }, 'timestamp.malformed'],
    ['a negative webhookTimestamp', { webhookTimestamp: -1 }, 'timestamp.malformed'],
  ])('rejects %s even when signed', async (_t, extra, code) => {
    const text = body(NOW_MS, extra)
    const r = await runOne(provider(), { headers: headers(text), body: text })
    expect(r.code).toBe(code)
    expect(r.enqueued).toHaveLength(0)
  })

  it('skipTimestampCheck accepts a body without webhookTimestamp', async () => {
    const text = body(NOW_MS, { webhookTimestamp: undefined })
    expect((await runOne(provider({ skipTimestampCheck: true }), { headers: headers(text), body: text })).code).toBe(
      'accepted',
    )
  })

  it.each([
    ['a forged signature', { 'linear-signature': 'ab'.repeat(32) }, 401, 'signature.invalid'],
    ['a missing signature', { 'linear-signature': '' }, 401, 'signature.missing'],
    ['a sha256= prefix', { 'linear-signature': `sha256=${'ab'.repeat(32)}` }, 400, 'signature.malformed'],
    ['an odd-length signature', { 'linear-signature': 'abc' }, 400, 'signature.malformed'],
    ['a missing Linear-Delivery', { 'linear-delivery': '' }, 400, 'id.missing'],
  ])('rejects %s', async (_t, extra, status, code) => {
    const text = body()
    const r = await runOne(provider(), { headers: { ...headers(text), ...extra }, body: text })
    expect([r.result.status, r.code]).toEqual([status, code])
  })

  it('a retried delivery (same Linear-Delivery) is a duplicate', async () => {
    const text = body()
    const [a, b] = await run(provider(), [
      { headers: headers(text), body: text },
      { headers: headers(text), body: text },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
  })

  it('accepts either secret during a rotation', async () => {
    const rotating = provider({ secret: [OTHER, SECRET] })
    const text = body()
    expect((await runOne(rotating, { headers: headers(text, SECRET), body: text })).code).toBe('accepted')
    expect((await runOne(rotating, { headers: headers(text, OTHER), body: text })).code).toBe('accepted')
  })

  it('signRequest adds webhookTimestamp from its clock when the body has none, and signs the result', async () => {
    const p = provider()
    const signed = await signRequest(p, {
      body: JSON.stringify({ type: 'Comment', action: 'update' }),
      id: 'd-1',
      timestamp: NOW_S - 120,
    })
    expect(JSON.parse(String(signed.body)).webhookTimestamp).toBe((NOW_S - 120) * 1000)
    expect((await runOne(p, signed)).code).toBe('timestamp.out_of_range')
    const fresh = await signRequest(p, {
      body: JSON.stringify({ type: 'Comment', action: 'update' }),
      id: 'd-2',
      now: () => NOW_MS,
    })
    const r = await runOne(p, fresh)
    expect(r.enqueued[0]).toMatchObject({ id: 'd-2', type: 'Comment.update' })
  })

  it('never echoes the secret or a signature', async () => {
    const text = body()
    const bad = createHmac('sha256', OTHER).update(text).digest('hex')
    const r = await runOne(provider(), { headers: { ...headers(text), 'linear-signature': bad }, body: text })
    expect(everything(r)).not.toContain(SECRET)
    expect(everything(r)).not.toContain(bad)
  })
})

describe('linear: configuration', () => {
  it.each(['', 'lin_wh_', 'password'])('refuses the weak secret %j', (secret) => {
    expect(configMessage(() => linear({ secret }))).toMatch(/^hookguard: linear: secret/)
  })
  it('refuses a negative tolerance', () => {
    expect(configMessage(() => linear({ secret: SECRET, tolerance: -1 }))).toMatch(/tolerance/)
  })
})
