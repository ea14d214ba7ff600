import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { stripe, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import {
  BACKENDS,
  configMessage,
  handle,
  NOW_MS,
  NOW_S,
  statusOf,
  testReceiver,
  verify,
  verifyCode,
} from './core-support.js'

const SECRET = 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc'
const OTHER_SECRET = 'whsec_rotated_Zk3n8QpL2vX9mR4tY7wB'
const BODY = JSON.stringify(
  {
    id: 'evt_1Nq2',
    object: 'event',
    type: 'payment_intent.succeeded',
    data: { object: { amount: 4200, description: 'café ☕' } },
  },
  null,
  2,
)

/** The official SDK's test header for `payload`. */
function sdkHeader(payload = BODY, timestamp = NOW_S, secret = SECRET): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp })
}
const v1Of = (header: string): string => /v1=([0-9a-f]+)/.exec(header)![1]!

/** The SDK's own verification at our fixed clock (it takes receivedAt in ms). */
function sdkAccepts(payload: string, header: string, secret = SECRET): boolean {
  try {
    Stripe.webhooks.constructEvent(payload, header, secret, 300, undefined, NOW_MS)
    return true
  } catch {
    return false
  }
}

describe('stripe: published vectors', () => {
  // stripe-node test/crypto/helpers.ts: HMAC-SHA256 under 'test_secret', the primitive of every v1 signature.
  it.each([
    ['an empty payload', '', 'f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd'],
    [
      'a sample payload',
      JSON.stringify({ obj1: 'hello', obj2: 'world' }),
      'bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363',
    ],
    ['a UTF-8 payload', '\ud83d\ude00', '837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43'],
  ])('both crypto backends reproduce Stripe’s CryptoProvider vector for %s', async (_title, payload, expected) => {
    for (const [, crypto] of BACKENDS) {
      const mac = await crypto.hmac('sha256', new TextEncoder().encode('test_secret'), [payload])
      expect(Buffer.from(mac).toString('hex')).toBe(expected)
    }
  })

  it('signRequest produces exactly the header the SDK generates for the same timestamp', async () => {
    const signed = await signRequest(stripe({ secret: SECRET }), { body: BODY, timestamp: NOW_S })
    expect(signed.headers['stripe-signature']).toBe(sdkHeader())
  })
})

describe.each(BACKENDS)('stripe with %s', (_name, crypto) => {
  it('accepts a delivery signed by the stripe SDK; id and type come from the body', async () => {
    const provider = stripe({ secret: SECRET, crypto })
    let event: WebhookEvent | undefined
    const receiver = testReceiver(provider)
    const result = await receiver.handle(
      { method: 'POST', headers: { 'Stripe-Signature': sdkHeader() }, body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({
      id: 'evt_1Nq2',
      type: 'payment_intent.succeeded',
      timestamp: NOW_S,
      provider: 'stripe',
    })
    expect(event?.headers['stripe-signature']).toBe('[redacted]')
  })

  it('hookguard-signed deliveries pass stripe.webhooks.constructEvent', async () => {
    const signed = await signRequest(stripe({ secret: SECRET, crypto }), { body: BODY, now: () => NOW_MS })
    const event = Stripe.webhooks.constructEvent(
      BODY,
      signed.headers['stripe-signature']!,
      SECRET,
      300,
      undefined,
      NOW_MS,
    )
    expect(event.id).toBe('evt_1Nq2')
  })

  it('rotation: any secret of the list passes, none of them fails', async () => {
    const header = sdkHeader(BODY, NOW_S, OTHER_SECRET)
    expect(
      await verifyCode(stripe({ secret: [SECRET, OTHER_SECRET], crypto }), {
        headers: { 'stripe-signature': header },
        body: BODY,
      }),
    ).toBe('ok')
    expect(
      await verifyCode(stripe({ secret: [OTHER_SECRET, SECRET], crypto }), {
        headers: { 'stripe-signature': header },
        body: BODY,
      }),
    ).toBe('ok')
    expect(
      await verifyCode(stripe({ secret: SECRET, crypto }), { headers: { 'stripe-signature': header }, body: BODY }),
    ).toBe('signature.invalid')
  })

  it('accepts the header carrying signatures of two secrets (Stripe during a roll) under one secret', async () => {
    const header = `t=${NOW_S},v1=${v1Of(sdkHeader(BODY, NOW_S, OTHER_SECRET))},v1=${v1Of(sdkHeader())}`
    expect(
      await verifyCode(stripe({ secret: SECRET, crypto }), { headers: { 'stripe-signature': header }, body: BODY }),
    ).toBe('ok')
  })

  it('only v1 counts: a valid v0 alone is 401, next to a valid v1 it is ignored', async () => {
    const mac = v1Of(sdkHeader())
    const provider = stripe({ secret: SECRET, crypto })
    expect(await statusOf(provider, { headers: { 'stripe-signature': `t=${NOW_S},v0=${mac}` }, body: BODY })).toEqual({
      status: 401,
      code: 'signature.invalid',
    })
    expect(
      await statusOf(provider, { headers: { 'stripe-signature': `t=${NOW_S},v1=${mac},v0=${mac}` }, body: BODY }),
    ).toEqual({ status: 200, code: 'accepted' })
  })

  it('accepts timestamps tolerance-1 s away in both directions and rejects tolerance+1 s', async () => {
    const provider = stripe({ secret: SECRET, crypto, tolerance: 120 })
    for (const [offset, expected] of [
      [-119, 'ok'],
      [119, 'ok'],
      [-121, 'timestamp.out_of_range'],
      [121, 'timestamp.out_of_range'],
    ] as const) {
      expect([
        offset,
        await verifyCode(provider, { headers: { 'stripe-signature': sdkHeader(BODY, NOW_S + offset) }, body: BODY }),
      ]).toEqual([offset, expected])
    }
    const defaults = stripe({ secret: SECRET, crypto })
    expect(defaults.tolerance).toBe(300)
    expect(
      await statusOf(defaults, { headers: { 'stripe-signature': sdkHeader(BODY, NOW_S - 301) }, body: BODY }),
    ).toEqual({ status: 401, code: 'timestamp.out_of_range' })
  })

  it('skipTimestampCheck: true accepts a day-old delivery; the default refuses it', async () => {
    const headers = { 'stripe-signature': sdkHeader(BODY, NOW_S - 86400) }
    expect(
      await verifyCode(stripe({ secret: SECRET, crypto, skipTimestampCheck: true }), { headers, body: BODY }),
    ).toBe('ok')
    expect(await verifyCode(stripe({ secret: SECRET, crypto }), { headers, body: BODY })).toBe('timestamp.out_of_range')
  })

  it('a validly signed body without an id is 400 id.missing; one that is not JSON is 400 body.malformed', async () => {
    const provider = stripe({ secret: SECRET, crypto })
    const noId = JSON.stringify({ object: 'event', type: 'ping' })
    expect(await statusOf(provider, { headers: { 'stripe-signature': sdkHeader(noId) }, body: noId })).toEqual({
      status: 400,
      code: 'id.missing',
    })
    expect(
      await statusOf(provider, { headers: { 'stripe-signature': sdkHeader('not json') }, body: 'not json' }),
    ).toEqual({ status: 400, code: 'body.malformed' })
  })
})

describe('stripe: where the SDK is laxer than hookguard', () => {
  const provider = stripe({ secret: SECRET })
  const mac = v1Of(sdkHeader())

  it.each([
    // The SDK keeps the last t; a forger could put a t of their choosing first.
    ['a duplicated t (the SDK keeps the last)', `t=1,t=${NOW_S},v1=${mac}`, 400, 'signature.malformed'],
    ['t with trailing letters', `t=${NOW_S}abc,v1=${mac}`, 400, 'timestamp.malformed'],
    ['t with a plus sign', `t=+${NOW_S},v1=${mac}`, 400, 'timestamp.malformed'],
    ['t with a decimal part', `t=${NOW_S}.5,v1=${mac}`, 400, 'timestamp.malformed'],
    ['a v1 followed by =junk', `t=${NOW_S},v1=${mac}=junk`, 400, 'signature.malformed'],
  ])('SDK accepts %s; hookguard answers %i %s', async (_title, header, status, code) => {
    expect(sdkAccepts(BODY, header)).toBe(true)
    expect(await statusOf(provider, { headers: { 'stripe-signature': header }, body: BODY })).toEqual({ status, code })
  })

  it('SDK accepts a timestamp an hour in the future (it checks age only); hookguard answers 401', async () => {
    const header = sdkHeader(BODY, NOW_S + 3600)
    expect(sdkAccepts(BODY, header)).toBe(true)
    expect(await statusOf(provider, { headers: { 'stripe-signature': header }, body: BODY })).toEqual({
      status: 401,
      code: 'timestamp.out_of_range',
    })
  })

  it('SDK turns the timestamp check off with tolerance 0; hookguard refuses 0 and needs skipTimestampCheck', () => {
    expect(() =>
      Stripe.webhooks.constructEvent(BODY, sdkHeader(BODY, 12345), SECRET, 0, undefined, NOW_MS),
    ).not.toThrow()
    expect(configMessage(() => stripe({ secret: SECRET, tolerance: 0 }))).toMatch(/skipTimestampCheck: true/)
  })
})

describe('stripe: configuration', () => {
  it.each([
    ['an empty string', ''],
    ['whitespace only', ' \t '],
    ['a trailing newline', `${SECRET}\n`],
    ['a placeholder', 'CHANGEME'],
    ['a secret under 16 bytes', 'whsec_short'],
    ['a list with a blank entry', [SECRET, ' ']],
    ['an object', { secret: SECRET }],
    ['undefined', undefined],
  ])('refuses %s as the secret with a TypeError that does not echo it', (_title, secret) => {
    const message = configMessage(() => stripe({ secret: secret as never }))
    expect(message).toMatch(/^hookguard: stripe: secret/)
    expect(message).not.toContain('whsec_')
  })

  it.each([0, -1, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY])(
    'refuses tolerance %s',
    (tolerance) => {
      expect(configMessage(() => stripe({ secret: SECRET, tolerance }))).toMatch(/tolerance must be a finite number/)
    },
  )
})

describe('stripe: Stripe-Signature parsing', () => {
  const provider = stripe({ secret: SECRET })
  const good = sdkHeader()
  const mac = v1Of(good)
  const cases: Array<[string, number, string, Record<string, string | string[]>]> = [
    ['no header', 401, 'signature.missing', {}],
    ['an empty header', 401, 'signature.missing', { 'stripe-signature': '' }],
    ['no t', 400, 'signature.malformed', { 'stripe-signature': `v1=${mac}` }],
    ['an empty t', 401, 'timestamp.missing', { 'stripe-signature': `t=,v1=${mac}` }],
    ['t but no v1', 401, 'signature.invalid', { 'stripe-signature': `t=${NOW_S}` }],
    ['a truncated header', 401, 'signature.invalid', { 'stripe-signature': good.slice(0, good.length - 10) }],
    ['a truncated pair', 400, 'signature.malformed', { 'stripe-signature': `t=${NOW_S},v1` }],
    ['an empty pair', 400, 'signature.malformed', { 'stripe-signature': `t=${NOW_S},,v1=${mac}` }],
    ['spaces after the commas', 400, 'header.duplicated', { 'stripe-signature': `t=${NOW_S}, v1=${mac}` }],
    ['a 100 KB v1', 401, 'signature.invalid', { 'stripe-signature': `t=${NOW_S},v1=${'ab'.repeat(50_000)}` }],
    [
      'a base64 v1',
      401,
      'signature.invalid',
      { 'stripe-signature': `t=${NOW_S},v1=${Buffer.from(mac, 'hex').toString('base64').replace(/=+$/, '')}` },
    ],
    ['multibyte characters', 401, 'signature.invalid', { 'stripe-signature': `t=${NOW_S},v1=ü€😀` }],
    [
      '5000 v1 entries',
      400,
      'signature.malformed',
      { 'stripe-signature': `t=${NOW_S},` + Array(5000).fill(`v1=${mac}`).join(',') },
    ],
    ['the header twice (array value)', 400, 'header.duplicated', { 'stripe-signature': [good, good] }],
    [
      'the header under two spellings',
      400,
      'header.duplicated',
      { 'Stripe-Signature': good, 'stripe-signature': good },
    ],
    ['t with letters', 400, 'timestamp.malformed', { 'stripe-signature': `t=abc,v1=${mac}` }],
    ['a negative t', 400, 'timestamp.malformed', { 'stripe-signature': `t=-${NOW_S},v1=${mac}` }],
    ['t in milliseconds', 400, 'timestamp.malformed', { 'stripe-signature': `t=${NOW_MS},v1=${mac}` }],
    ['t with an exponent', 400, 'timestamp.malformed', { 'stripe-signature': `t=1.7e9,v1=${mac}` }],
    ['t with a leading zero', 401, 'signature.invalid', { 'stripe-signature': `t=0${NOW_S},v1=${mac}` }],
    ['a far-future t', 401, 'timestamp.out_of_range', { 'stripe-signature': `t=999999999999,v1=${mac}` }],
    ['an upper-case key', 400, 'signature.malformed', { 'stripe-signature': `T=${NOW_S},v1=${mac}` }],
  ]
  it.each(cases)('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status, code })
  })

  it('accepts an extra unknown scheme and a junk v1 next to the valid one (as Stripe documents)', async () => {
    const header = `${good},v1=potato,v9=${mac}`
    expect(await verify(provider, { headers: { 'stripe-signature': header }, body: BODY })).toEqual({
      timestamp: NOW_S,
    })
  })

  it('keeps every 401 body identical and free of the signature', async () => {
    const results = await Promise.all(
      cases.filter((c) => c[1] === 401).map(([, , , headers]) => handle(provider, { headers, body: BODY })),
    )
    for (const result of results) {
      expect(result.body).toBe(results[0]!.body)
      expect(result.body).not.toContain(mac.slice(0, 16))
      expect(JSON.stringify(result.headers)).not.toContain(mac.slice(0, 16))
    }
  })
})
