import { hmacValidator } from '@adyen/api-library'
import { describe, expect, it } from 'vitest'
import { adyen } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne } from './hmac-support.js'
import { refusesWeakSecrets } from './batch-b-support.js'
import { BACKENDS, configMessage, statusOf, verifyCode } from './core-support.js'

// Adyen's published example ("Verify HMAC signatures", also Adyen's Ruby library spec): this key and
// item sign to coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=.
const DOCS_KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056'
const DOCS_ITEM = {
  additionalData: { hmacSignature: 'coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=' },
  amount: { value: 1130, currency: 'EUR' },
  pspReference: '7914073381342284',
  eventCode: 'AUTHORISATION',
  eventDate: '2019-05-06T17:15:34.121+02:00',
  merchantAccountCode: 'TestMerchant',
  operations: ['CANCEL', 'CAPTURE', 'REFUND'],
  merchantReference: 'TestPayment-1407325143704',
  paymentMethod: 'visa',
  success: 'true',
}
// Adyen's Node library, src/__tests__/hmacValidator.spec.ts.
const SDK_KEY = 'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00'
const SDK_ITEM = {
  pspReference: 'pspReference',
  originalReference: 'originalReference',
  merchantAccountCode: 'merchantAccount',
  merchantReference: 'reference',
  amount: { currency: 'EUR', value: 1000 },
  eventCode: 'CAPTURE',
  eventDate: '1970-01-01T00:00:00.000Z',
  paymentMethod: 'VISA',
  reason: 'reason',
  success: 'true',
  additionalData: { hmacSignature: 'xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=' },
}

type Item = Record<string, unknown>
const notification = (...items: Item[]) =>
  JSON.stringify({ live: 'false', notificationItems: items.map((item) => ({ NotificationRequestItem: item })) })
const json = { 'Content-Type': 'application/json' }
const validator = new hmacValidator()

/** An item signed with Adyen's own library. */
function sdkSigned(item: Item, key = DOCS_KEY): Item {
  const { additionalData: _drop, ...unsigned } = item
  return { ...unsigned, additionalData: { hmacSignature: validator.calculateHmac(unsigned as never, key) } }
}

describe('adyen: published vectors', () => {
  it('accepts Adyen’s documented example: id pspReference:eventCode:success, answered [accepted]', async () => {
    const r = await runOne(adyen({ secret: DOCS_KEY }), { headers: json, body: notification(DOCS_ITEM) })
    expect([r.result.status, r.result.body, r.result.headers['content-type']]).toEqual([
      200,
      '[accepted]',
      'text/plain; charset=utf-8',
    ])
    expect(r.enqueued[0]).toMatchObject({ id: '7914073381342284:AUTHORISATION:true', type: 'AUTHORISATION' })
    expect(r.enqueued[0]!.payload).toEqual(JSON.parse(notification(DOCS_ITEM)))
  })

  it('accepts the vector of Adyen’s Node library (originalReference and unsigned fields present)', async () => {
    expect(validator.validateHMAC(SDK_ITEM as never, SDK_KEY)).toBe(true)
    const r = await runOne(adyen({ secret: SDK_KEY }), { headers: json, body: notification(SDK_ITEM) })
    expect([r.result.status, r.enqueued[0]?.id]).toEqual([200, 'pspReference:CAPTURE:true'])
  })

  it('signRequest reproduces the documented signature, and the library validates it', async () => {
    const { additionalData: _drop, ...unsigned } = DOCS_ITEM
    const signed = await signRequest(adyen({ secret: DOCS_KEY }), { body: notification(unsigned) })
    const item = JSON.parse(signed.body as string).notificationItems[0].NotificationRequestItem
    expect(item.additionalData.hmacSignature).toBe(DOCS_ITEM.additionalData.hmacSignature)
    expect(validator.validateHMAC(item, DOCS_KEY)).toBe(true)
  })
})

describe.each(BACKENDS)('adyen with %s', (_name, crypto) => {
  const provider = () => adyen({ secret: DOCS_KEY, crypto })

  it.each([
    ['amount.value', { amount: { value: 1131, currency: 'EUR' } }],
    ['amount.currency', { amount: { value: 1130, currency: 'USD' } }],
    ['success', { success: 'false' }],
    ['eventCode', { eventCode: 'CAPTURE' }],
    ['merchantReference', { merchantReference: 'TestPayment-1' }],
    ['pspReference', { pspReference: '7914073381342285' }],
    ['originalReference', { originalReference: 'X' }],
    ['merchantAccountCode', { merchantAccountCode: 'OtherMerchant' }],
  ])('refuses the documented item with %s changed (401)', async (_field, change) => {
    const r = await runOne(provider(), { headers: json, body: notification({ ...DOCS_ITEM, ...change }) })
    expect([r.result.status, r.code, r.enqueued.length]).toEqual([401, 'signature.invalid', 0])
  })

  it('only the eight fields are signed: changed eventDate, reason or live still verify (documented)', async () => {
    const item = { ...DOCS_ITEM, eventDate: '2030-01-01T00:00:00+00:00', reason: 'forged' }
    const body = JSON.stringify({ live: 'true', notificationItems: [{ NotificationRequestItem: item }] })
    expect(await verifyCode(provider(), { headers: json, body })).toBe('ok')
  })

  it('accepts items signed by Adyen’s library with another key of a rotation list', async () => {
    const other = 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90'
    const body = notification(sdkSigned(DOCS_ITEM, other))
    expect(await verifyCode(provider(), { headers: json, body })).toBe('signature.invalid')
    expect(await verifyCode(adyen({ secret: [DOCS_KEY, other], crypto }), { headers: json, body })).toBe('ok')
  })

  it('a batch is accepted only when every item verifies; its id is a hash of the item ids', async () => {
    const second = sdkSigned({ ...DOCS_ITEM, pspReference: '8815329842815468', eventCode: 'CAPTURE' })
    const good = await runOne(provider(), { headers: json, body: notification(DOCS_ITEM, second) })
    expect(good.result.status).toBe(200)
    expect(good.enqueued[0]!.id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(good.enqueued[0]!.type).toBe('batch')
    const forged = { ...second, amount: { value: 500000, currency: 'EUR' } }
    const bad = await runOne(provider(), { headers: json, body: notification(DOCS_ITEM, forged) })
    expect([bad.result.status, bad.code, bad.enqueued.length]).toEqual([401, 'signature.invalid', 0])
  })

  it('a batch of one event code takes that code as its type', async () => {
    const second = sdkSigned({ ...DOCS_ITEM, pspReference: '8815329842815468' })
    const r = await runOne(provider(), { headers: json, body: notification(DOCS_ITEM, second) })
    expect(r.enqueued[0]!.type).toBe('AUTHORISATION')
  })

  it('a resent item is a duplicate (also answered [accepted]); a changed outcome is a new event', async () => {
    const failed = sdkSigned({ ...DOCS_ITEM, success: 'false' })
    const runs = await run(provider(), [
      { headers: json, body: notification(failed) },
      { headers: json, body: notification(failed) },
      { headers: json, body: notification(DOCS_ITEM) },
    ])
    expect(runs.map((r) => [r.code, r.result.body])).toEqual([
      ['accepted', '[accepted]'],
      ['duplicate', '[accepted]'],
      ['accepted', '[accepted]'],
    ])
    expect(runs[2]!.enqueued.map((e) => e.id)).toEqual([
      '7914073381342284:AUTHORISATION:false',
      '7914073381342284:AUTHORISATION:true',
    ])
  })
})

describe('adyen: malformed notifications', () => {
  const provider = () => adyen({ secret: DOCS_KEY })
  const { additionalData: _drop, ...unsigned } = DOCS_ITEM
  it.each([
    ['a body that is not JSON', 400, 'body.malformed', 'not json'],
    ['no notificationItems', 400, 'body.malformed', JSON.stringify({ live: 'false' })],
    ['empty notificationItems', 400, 'body.malformed', JSON.stringify({ notificationItems: [] })],
    ['an entry without NotificationRequestItem', 400, 'body.malformed', JSON.stringify({ notificationItems: [{}] })],
    ['no amount', 400, 'body.malformed', notification({ ...DOCS_ITEM, amount: undefined })],
    [
      'a fractional amount',
      400,
      'body.malformed',
      notification({ ...DOCS_ITEM, amount: { value: 11.3, currency: 'EUR' } }),
    ],
    ['a numeric pspReference', 400, 'body.malformed', notification({ ...DOCS_ITEM, pspReference: 7914073381342284 })],
    ['success "yes"', 400, 'body.malformed', notification({ ...DOCS_ITEM, success: 'yes' })],
    ['no hmacSignature', 401, 'signature.missing', notification(unsigned)],
    [
      'a hex hmacSignature',
      400,
      'signature.malformed',
      notification({ ...unsigned, additionalData: { hmacSignature: 'ab'.repeat(32) } }),
    ],
    [
      'an unpadded hmacSignature',
      400,
      'signature.malformed',
      notification({ ...unsigned, additionalData: { hmacSignature: 'coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0' } }),
    ],
    ['101 items', 400, 'body.malformed', notification(...Array(101).fill(DOCS_ITEM))],
  ])('answers %s with %i %s', async (_title, status, code, body) => {
    expect(await statusOf(provider(), { headers: json, body })).toEqual({ status, code })
  })

  it('one unsigned item among signed ones is a 401', async () => {
    expect(await statusOf(provider(), { headers: json, body: notification(DOCS_ITEM, unsigned) })).toEqual({
      status: 401,
      code: 'signature.missing',
    })
  })

  it('a 401 never shows the received signature', async () => {
    const r = await runOne(provider(), { headers: json, body: notification({ ...DOCS_ITEM, success: 'false' }) })
    expect(r.result.status).toBe(401)
    expect(JSON.stringify([r.result.body, r.result.headers, r.result.outcome])).not.toContain('coqCmt')
  })
})

describe('adyen: configuration', () => {
  refusesWeakSecrets('adyen', (secret) => adyen({ secret: secret as string }))

  it('takes the key as hex in either case, and refuses anything that is not hex', () => {
    expect(adyen({ secret: DOCS_KEY.toLowerCase() }).name).toBe('adyen')
    expect(configMessage(() => adyen({ secret: 'not-a-hex-key-but-long-enough' }))).toMatch(/HMAC key as hex/)
    expect(configMessage(() => adyen({ secret: DOCS_KEY.slice(1) }))).toMatch(/HMAC key as hex/)
    expect(configMessage(() => adyen({ secret: '0123456789abcdef' }))).toMatch(/too short \(8 bytes/)
  })

  it('refuses a tolerance: Adyen signs no timestamp', () => {
    expect(configMessage(() => adyen({ secret: DOCS_KEY, tolerance: 60 } as never))).toMatch(/signs no timestamp/)
  })
})
