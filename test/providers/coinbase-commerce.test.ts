import { Webhook } from 'coinbase-commerce-node'
import { describe, expect, it } from 'vitest'
import { coinbaseCommerce, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, statusOf, testReceiver, verify, verifyCode } from './core-support.js'

const SECRET = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
const OTHER = 'e3b0c442-98fc-4c14-9afb-f4c8996fb924'
const EVENT_ID = '24934862-d980-46cb-9402-43c81b0cdba6'

/** The shape of Coinbase Commerce's documented delivery; `id` and `attempt_number` change per attempt. */
function delivery(attempt: number, eventId = EVENT_ID): string {
  return JSON.stringify({
    attempt_number: attempt,
    event: {
      api_version: '2018-03-22',
      created_at: '2017-01-31T20:49:02Z',
      data: { code: '66BEOV2A', name: 'The Sovereign Individual', pricing_type: 'no_price' },
      id: eventId,
      resource: 'event',
      type: 'charge:created',
    },
    id: attempt,
    scheduled_for: '2017-01-31T20:50:02Z',
  })
}
const BODY = delivery(1)

const headersFor = (signature: string) => ({ 'Content-Type': 'application/json', 'X-CC-Webhook-Signature': signature })

describe('coinbaseCommerce: the official SDK', () => {
  it('coinbase-commerce-node’s Webhook.verifyEventBody accepts what signRequest produces', async () => {
    const signed = await signRequest(coinbaseCommerce({ secret: SECRET }), { body: BODY })
    const event = Webhook.verifyEventBody(BODY, signed.headers['x-cc-webhook-signature']!, SECRET)
    expect(event.id).toBe(EVENT_ID)
    expect(() => Webhook.verifySigHeader(BODY + ' ', signed.headers['x-cc-webhook-signature']!, SECRET)).toThrow()
  })
})

describe.each(BACKENDS)('coinbaseCommerce with %s', (_name, crypto) => {
  it('accepts a delivery the SDK verifies; id and type come from the signed event', async () => {
    const signature = hmacHex(SECRET, BODY)
    expect(Webhook.verifySigHeader(BODY, signature, SECRET)).toBe(true)
    let event: WebhookEvent | undefined
    const receiver = testReceiver(coinbaseCommerce({ secret: SECRET, crypto }))
    const result = await receiver.handle(
      { method: 'POST', headers: headersFor(signature), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({ id: EVENT_ID, type: 'charge:created', provider: 'coinbase-commerce' })
    expect(event!.headers['x-cc-webhook-signature']).toBe('[redacted]')
    // The id is signed: no fingerprint.
    expect(
      (await verify(coinbaseCommerce({ secret: SECRET, crypto }), { headers: headersFor(signature), body: BODY }))
        .fingerprint,
    ).toBeUndefined()
  })

  it('a second attempt (new delivery id and attempt_number, same event) is a duplicate', async () => {
    const receiver = testReceiver(coinbaseCommerce({ secret: SECRET, crypto }))
    const kinds: string[] = []
    for (const body of [delivery(1), delivery(2), delivery(1, 'another-event-id')]) {
      const result = await receiver.handle(
        { method: 'POST', headers: headersFor(hmacHex(SECRET, body)), body },
        { deliver: () => true },
      )
      kinds.push(result.outcome.kind)
    }
    expect(kinds).toEqual(['accepted', 'duplicate', 'accepted'])
  })

  it('refuses a changed body and a wrong secret; accepts either secret of a rotation', async () => {
    const provider = coinbaseCommerce({ secret: SECRET, crypto })
    const tampered = BODY.replace('charge:created', 'charge:confirmed')
    expect(await verifyCode(provider, { headers: headersFor(hmacHex(SECRET, BODY)), body: tampered })).toBe(
      'signature.invalid',
    )
    expect(await verifyCode(provider, { headers: headersFor(hmacHex(OTHER, BODY)), body: BODY })).toBe(
      'signature.invalid',
    )
    const rotating = coinbaseCommerce({ secret: [SECRET, OTHER], crypto })
    expect(await verifyCode(rotating, { headers: headersFor(hmacHex(OTHER, BODY)), body: BODY })).toBe('ok')
  })

  it('a signed body without event.id is 400 id.missing', async () => {
    const body = JSON.stringify({ id: 1, event: { type: 'charge:created' } })
    expect(
      await statusOf(coinbaseCommerce({ secret: SECRET, crypto }), {
        headers: headersFor(hmacHex(SECRET, body)),
        body,
      }),
    ).toEqual({
      status: 400,
      code: 'id.missing',
    })
  })
})

describe('coinbaseCommerce: X-CC-Webhook-Signature parsing', () => {
  const good = hmacHex(SECRET, BODY)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'Content-Type': 'application/json' }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['upper-case hex', 400, 'signature.malformed', headersFor(good.toUpperCase())],
    ['an odd-length signature', 400, 'signature.malformed', headersFor(good.slice(1))],
    ['a wrong MAC', 401, 'signature.invalid', headersFor('f'.repeat(64))],
    ['the header twice', 400, 'header.duplicated', { 'X-CC-Webhook-Signature': [good, good] }],
    [
      'the header under two spellings',
      400,
      'header.duplicated',
      { ...headersFor(good), 'x-cc-webhook-signature': good },
    ],
  ]
  headerTable(() => coinbaseCommerce({ secret: SECRET }), BODY, cases, [good.slice(0, 16)])
})

describe('coinbaseCommerce: configuration', () => {
  refusesWeakSecrets('coinbase-commerce', (secret) => coinbaseCommerce({ secret: secret as string }))

  it('refuses a short secret and a tolerance', () => {
    expect(configMessage(() => coinbaseCommerce({ secret: 'short-secret' }))).toMatch(/too short/)
    expect(configMessage(() => coinbaseCommerce({ secret: SECRET, tolerance: 5 } as never))).toMatch(
      /signs no timestamp/,
    )
  })
})
