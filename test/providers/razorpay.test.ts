import { validateWebhookSignature } from 'razorpay/dist/utils/razorpay-utils.js'
import { describe, expect, it } from 'vitest'
import { razorpay, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, testReceiver, verify, verifyCode } from './core-support.js'

const SECRET = 'rzp-webhook-secret-9c3e'
const OTHER = 'rzp-rotated-secret-1a7f'
// The shape of Razorpay's payment.captured payload.
const BODY = JSON.stringify({
  entity: 'event',
  account_id: 'acc_BFQ7uQEaa7j2z7',
  event: 'payment.captured',
  contains: ['payment'],
  payload: { payment: { entity: { id: 'pay_DESlfW9H8K9uqM', amount: 100, currency: 'INR', status: 'captured' } } },
  created_at: 1567674606,
})
const EVENT_ID = 'Gb5kMCdcAZ8jJ8'

const headersFor = (signature: string, extra: Record<string, string> = {}) => ({
  'Content-Type': 'application/json',
  'X-Razorpay-Signature': signature,
  'X-Razorpay-Event-Id': EVENT_ID,
  ...extra,
})

describe('razorpay: the official SDK', () => {
  it('razorpay’s validateWebhookSignature accepts what signRequest produces, and refuses it for another body', async () => {
    const signed = await signRequest(razorpay({ secret: SECRET }), { body: BODY, id: EVENT_ID })
    const signature = signed.headers['x-razorpay-signature']!
    expect(validateWebhookSignature(BODY, signature, SECRET)).toBe(true)
    expect(validateWebhookSignature(BODY + ' ', signature, SECRET)).toBe(false)
    expect(signed.headers['x-razorpay-event-id']).toBe(EVENT_ID)
  })
})

describe.each(BACKENDS)('razorpay with %s', (_name, crypto) => {
  it('accepts a delivery the SDK validates; id from x-razorpay-event-id, type from event', async () => {
    const signature = hmacHex(SECRET, BODY)
    expect(validateWebhookSignature(BODY, signature, SECRET)).toBe(true)
    let event: WebhookEvent | undefined
    const receiver = testReceiver(razorpay({ secret: SECRET, crypto }))
    const result = await receiver.handle(
      { method: 'POST', headers: headersFor(signature), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({ id: EVENT_ID, type: 'payment.captured', provider: 'razorpay' })
    expect(event!.headers['x-razorpay-signature']).toBe('[redacted]')
  })

  it('the event id is not signed: the verified MAC is the fingerprint', async () => {
    const provider = razorpay({ secret: SECRET, crypto })
    const signature = hmacHex(SECRET, BODY)
    const verification = await verify(provider, { headers: headersFor(signature), body: BODY })
    expect(verification.fingerprint && Buffer.from(verification.fingerprint).toString('hex')).toBe(signature)
  })

  it('a captured delivery resent under a fresh event id is a duplicate, not a second event', async () => {
    const receiver = testReceiver(razorpay({ secret: SECRET, crypto }))
    const signature = hmacHex(SECRET, BODY)
    let deliveries = 0
    const deliver = () => (deliveries++, true)
    const first = await receiver.handle({ method: 'POST', headers: headersFor(signature), body: BODY }, { deliver })
    const forged = {
      method: 'POST',
      headers: headersFor(signature, { 'X-Razorpay-Event-Id': 'Fresh000000001' }),
      body: BODY,
    }
    const replay = await receiver.handle(forged, { deliver })
    expect([first.outcome.kind, replay.outcome.kind, deliveries]).toEqual(['accepted', 'duplicate', 1])
  })

  it('without the event id header the id is the SHA-256 of the body', async () => {
    let event: WebhookEvent | undefined
    const receiver = testReceiver(razorpay({ secret: SECRET, crypto }))
    const headers = { 'X-Razorpay-Signature': hmacHex(SECRET, BODY) }
    await receiver.handle({ method: 'POST', headers, body: BODY }, { deliver: (e) => ((event = e), true) })
    expect(event?.id).toBe(sha256Id(BODY))
  })

  it('refuses a changed body and the API key secret; accepts either secret of a rotation', async () => {
    const provider = razorpay({ secret: SECRET, crypto })
    expect(await verifyCode(provider, { headers: headersFor(hmacHex(SECRET, BODY)), body: `${BODY}\n` })).toBe(
      'signature.invalid',
    )
    expect(
      await verifyCode(provider, { headers: headersFor(hmacHex('rzp_test_key_secret_x', BODY)), body: BODY }),
    ).toBe('signature.invalid')
    const rotating = razorpay({ secret: [SECRET, OTHER], crypto })
    expect(await verifyCode(rotating, { headers: headersFor(hmacHex(OTHER, BODY)), body: BODY })).toBe('ok')
  })
})

describe('razorpay: X-Razorpay-Signature parsing', () => {
  const good = hmacHex(SECRET, BODY)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'X-Razorpay-Event-Id': EVENT_ID }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['upper-case hex', 400, 'signature.malformed', headersFor(good.toUpperCase())],
    ['a truncated signature', 400, 'signature.malformed', headersFor(good.slice(0, 40))],
    ['a sha256= prefix', 400, 'signature.malformed', headersFor(`sha256=${good}`)],
    ['a wrong MAC', 401, 'signature.invalid', headersFor('0'.repeat(64))],
    ['the header twice', 400, 'header.duplicated', { ...headersFor(good), 'x-razorpay-signature': [good, good] }],
    [
      'a valid signature and the event id twice',
      400,
      'header.duplicated',
      { ...headersFor(good), 'X-Razorpay-Event-Id': [EVENT_ID, 'Other'] },
    ],
    [
      'an invalid signature and the event id twice (the signature is checked first)',
      401,
      'signature.invalid',
      { ...headersFor('0'.repeat(64)), 'X-Razorpay-Event-Id': [EVENT_ID, 'Other'] },
    ],
  ]
  headerTable(() => razorpay({ secret: SECRET }), BODY, cases, [good.slice(0, 16)])
})

describe('razorpay: configuration', () => {
  refusesWeakSecrets('razorpay', (secret) => razorpay({ secret: secret as string }))

  it('refuses a secret under 8 bytes and a tolerance', () => {
    expect(configMessage(() => razorpay({ secret: '12345' }))).toMatch(/too short \(5 bytes; at least 8/)
    expect(configMessage(() => razorpay({ secret: SECRET, tolerance: 300 } as never))).toMatch(/signs no timestamp/)
  })
})
