import { createHmac } from 'node:crypto'
// Box's official SDK: its own verifier and signer, imported alone (not the whole client).
import { computeWebhookSignature, jsonStringifyWithEscapedUnicode } from 'box-node-sdk/internal/utils'
import { WebhooksManager } from 'box-node-sdk/managers/webhooks'
import { describe, expect, it } from 'vitest'
import { box, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, statusOf, testReceiver, verifyCode } from './core-support.js'

// box-node-sdk src/test/webhooks.test.ts: keys, bodies and signatures of its testWebhookValidation.
const SDK = {
  primaryKey: 'SamplePrimaryKey',
  secondaryKey: 'SampleSecondaryKey',
  body: '{"type":"webhook_event","webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"Test.txt"}}',
  timestamp: '2020-01-01T00:00:00-07:00',
  primary: '6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI=',
  secondary: 'v+1CD1Jdo3muIcbpv5lxxgPglOqMfsNHPV899xWYydo=',
}
const SDK_NOW = Date.parse(SDK.timestamp)
const SDK_VARIANTS: Array<[string, string, string]> = [
  [
    'Japanese',
    '{"webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"\u30B9\u30AF\u30EA\u30FC\u30F3\u30B7\u30E7\u30C3\u30C8 2020-08-05.txt"}}',
    'LV2uCu+5NJtIHrCXDYgZ0v/PP5THGRuegw3RtdnEyuE=',
  ],
  [
    'an emoji',
    '{"webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"\uD83D\uDE00 2020-08-05.txt"}}',
    'xF/SDZosX4le+v4A0Qn59sZhuD1RqY5KRUKzVMSbh0E=',
  ],
  [
    'a carriage return',
    '{"webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"test \\r"}}',
    'SVkbKgy3dEEf2PbbzpNu2lDZS7zZ/aboU7HOZgBGrJk=',
  ],
  [
    'a forward slash',
    '{"webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"\\/"}}',
    't41PWT5ZB6OcysnD6SDy9Ud+p9hdXxIdXqcdweyZv/Q=',
  ],
  [
    'a backslash',
    '{"webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"\\\\"}}',
    'ERpMZwUQsGDTfj82ehdX6VvDZfvOhK5ULNfVmwVAGe0=',
  ],
]

const EVENT = JSON.stringify({
  type: 'webhook_event',
  id: 'eb0c4e06-751f-442c-86f8-fd5bb404dbec',
  created_at: '2016-07-11T10:10:32-07:00',
  trigger: 'FILE.UPLOADED',
  webhook: { id: '53', type: 'webhook' },
  source: { id: '73835521473', type: 'file', name: 'Test-Image-3.png' },
})

function boxHeaders(body: string, timestamp: string, keys: { primary?: string; secondary?: string }) {
  const sign = (key: string) => createHmac('sha256', key).update(body).update(timestamp).digest('base64')
  const headers: Record<string, string> = {
    'box-delivery-id': 'f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f',
    'box-delivery-timestamp': timestamp,
    'box-signature-algorithm': 'HmacSHA256',
    'box-signature-version': '1',
  }
  if (keys.primary) headers['box-signature-primary'] = sign(keys.primary)
  if (keys.secondary) headers['box-signature-secondary'] = sign(keys.secondary)
  return headers
}

const sdkHeaders = {
  'box-delivery-id': 'f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f',
  'box-delivery-timestamp': SDK.timestamp,
  'box-signature-algorithm': 'HmacSHA256',
  'box-signature-primary': SDK.primary,
  'box-signature-secondary': SDK.secondary,
  'box-signature-version': '1',
}

describe('box: the box-node-sdk test vectors', () => {
  it.each(BACKENDS)('accepts the SDK’s vector with either key, on %s', async (_name, crypto) => {
    const request = { headers: sdkHeaders, body: SDK.body }
    expect(await verifyCode(box({ secret: SDK.primaryKey, crypto }), request, SDK_NOW)).toBe('ok')
    expect(await verifyCode(box({ secret: SDK.secondaryKey, crypto }), request, SDK_NOW)).toBe('ok')
    expect(await verifyCode(box({ secret: ['IncorrectKey0000', SDK.secondaryKey], crypto }), request, SDK_NOW)).toBe(
      'ok',
    )
    expect(await verifyCode(box({ secret: 'IncorrectKey0000', crypto }), request, SDK_NOW)).toBe('signature.invalid')
  })

  it.each(SDK_VARIANTS)(
    'accepts the vector with %s in the bytes Box sends (escaped as Box writes JSON)',
    async (_title, body, primary) => {
      const wire = jsonStringifyWithEscapedUnicode(body)
      const headers = { ...sdkHeaders, 'box-signature-primary': primary, 'box-signature-secondary': '' }
      expect(await verifyCode(box({ secret: SDK.primaryKey }), { headers, body: wire }, SDK_NOW)).toBe('ok')
    },
  )

  it('verifies the raw bytes only: the Japanese body unescaped (as a re-serialiser writes it) is refused', async () => {
    const [, body, primary] = SDK_VARIANTS[0]!
    const headers = { ...sdkHeaders, 'box-signature-primary': primary, 'box-signature-secondary': '' }
    expect(await verifyCode(box({ secret: SDK.primaryKey }), { headers, body }, SDK_NOW)).toBe('signature.invalid')
  })
})

describe('box: interop with box-node-sdk’s WebhooksManager.validateMessage', () => {
  it('the SDK accepts what signRequest produces, with both keys', async () => {
    const provider = box({ secret: [SDK.primaryKey, SDK.secondaryKey] })
    const signed = await signRequest(provider, { body: EVENT })
    expect(signed.headers['box-signature-secondary']).toBeDefined()
    expect(await WebhooksManager.validateMessage(EVENT, signed.headers, SDK.primaryKey)).toBe(true)
    expect(
      await WebhooksManager.validateMessage(EVENT, signed.headers, 'IncorrectKey', { secondaryKey: SDK.secondaryKey }),
    ).toBe(true)
  })

  it('hookguard accepts what the SDK’s computeWebhookSignature signs', async () => {
    const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    const headers = { ...sdkHeaders, 'box-delivery-timestamp': timestamp }
    headers['box-signature-primary'] = (await computeWebhookSignature(EVENT, headers, SDK.primaryKey, false))!
    headers['box-signature-secondary'] = (await computeWebhookSignature(EVENT, headers, SDK.secondaryKey, false))!
    expect(await WebhooksManager.validateMessage(EVENT, headers, SDK.primaryKey)).toBe(true)
    expect(await verifyCode(box({ secret: SDK.secondaryKey }), { headers, body: EVENT }, Date.now())).toBe('ok')
  })
})

describe.each(BACKENDS)('box with %s', (_name, crypto) => {
  const now = SDK_NOW
  const timestamp = SDK.timestamp

  it('accepts a delivery; the id is the body’s id (kept on retries), the type its trigger', async () => {
    let event: WebhookEvent | undefined
    const receiver = testReceiver(box({ secret: SDK.primaryKey, crypto }), now)
    const result = await receiver.handle(
      { method: 'POST', headers: boxHeaders(EVENT, timestamp, { primary: SDK.primaryKey }), body: EVENT },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({
      id: 'eb0c4e06-751f-442c-86f8-fd5bb404dbec',
      type: 'FILE.UPLOADED',
      provider: 'box',
      timestamp: now / 1000,
    })
    expect(event?.headers['box-signature-primary']).toBe('[redacted]')
  })

  it('a retry (new BOX-DELIVERY-ID and timestamp, same event) is a 200 duplicate', async () => {
    const receiver = testReceiver(box({ secret: SDK.primaryKey, crypto }), now)
    const first = boxHeaders(EVENT, timestamp, { primary: SDK.primaryKey })
    const retry = {
      ...boxHeaders(EVENT, '2020-01-01T00:04:00-07:00', { primary: SDK.primaryKey }),
      'box-delivery-id': 'x',
    }
    expect(
      (await receiver.handle({ method: 'POST', headers: first, body: EVENT }, { deliver: () => true })).outcome.kind,
    ).toBe('accepted')
    expect(
      (await receiver.handle({ method: 'POST', headers: retry, body: EVENT }, { deliver: () => true })).outcome.kind,
    ).toBe('duplicate')
  })

  it.each([
    ['ten minutes old', '2019-12-31T23:50:00-07:00', 'ok'],
    ['ten minutes and a second old', '2019-12-31T23:49:59-07:00', 'timestamp.out_of_range'],
    ['ten minutes ahead', '2020-01-01T00:10:00-07:00', 'ok'],
    ['ten minutes and a second ahead', '2020-01-01T00:10:01-07:00', 'timestamp.out_of_range'],
    ['not RFC 3339', '2020-01-01 07:00:00Z', 'timestamp.malformed'],
    // ', ' is what a Fetch Headers join of two copies looks like: refused before the date is parsed.
    ['an HTTP date, whose ", " reads as a join', 'Wed, 01 Jan 2020 07:00:00 GMT', 'header.duplicated'],
    ['a leap second', '2020-01-01T06:59:60Z', 'timestamp.malformed'],
  ])('a timestamp %s: %s', async (_title, at, code) => {
    const headers = boxHeaders(EVENT, at, { primary: SDK.primaryKey })
    expect(await verifyCode(box({ secret: SDK.primaryKey, crypto }), { headers, body: EVENT }, now)).toBe(code)
  })

  it('the timestamp is signed: moving it within the window breaks the signature', async () => {
    const headers = {
      ...boxHeaders(EVENT, timestamp, { primary: SDK.primaryKey }),
      'box-delivery-timestamp': '2020-01-01T00:00:01-07:00',
    }
    expect(await verifyCode(box({ secret: SDK.primaryKey, crypto }), { headers, body: EVENT }, now)).toBe(
      'signature.invalid',
    )
  })
})

describe('box: headers', () => {
  const provider = box({ secret: SDK.primaryKey })
  const signed = boxHeaders(EVENT, SDK.timestamp, { primary: SDK.primaryKey })
  it.each([
    ['no signature header', { 'box-signature-primary': '' }, 401, 'signature.missing'],
    ['a version other than 1', { 'box-signature-version': '2' }, 401, 'signature.invalid'],
    ['no version', { 'box-signature-version': undefined }, 401, 'signature.invalid'],
    ['HmacSHA1', { 'box-signature-algorithm': 'HmacSHA1' }, 401, 'signature.invalid'],
    ['a malformed primary signature', { 'box-signature-primary': 'not base64!' }, 400, 'signature.malformed'],
    ['a malformed secondary beside a valid primary', { 'box-signature-secondary': 'zz' }, 400, 'signature.malformed'],
    [
      'the primary twice',
      { 'box-signature-primary': [signed['box-signature-primary']!, 'x'] },
      400,
      'header.duplicated',
    ],
    ['no timestamp', { 'box-delivery-timestamp': undefined }, 401, 'timestamp.missing'],
  ])('%s: %i %s', async (_title, change, status, code) => {
    const headers = { ...signed, ...change } as Record<string, string>
    expect(await statusOf(provider, { headers, body: EVENT }, SDK_NOW)).toEqual({ status, code })
  })

  it('a valid secondary signature passes when the primary is blank (rotation in progress)', async () => {
    const headers = {
      ...boxHeaders(EVENT, SDK.timestamp, { secondary: SDK.secondaryKey }),
      'box-signature-primary': '',
    }
    expect(
      await verifyCode(box({ secret: [SDK.primaryKey, SDK.secondaryKey] }), { headers, body: EVENT }, SDK_NOW),
    ).toBe('ok')
  })
})

describe('box: configuration', () => {
  it.each([
    ['an empty key', { secret: '' }, /secret is empty/],
    ['a key under 16 characters', { secret: 'PrimaryKey' }, /too short/],
    ['a zero tolerance', { secret: SDK.primaryKey, tolerance: 0 }, /tolerance must be/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => box(options as never))).toMatch(message)
  })

  it('defaults to Box’s ten-minute window and lists both signature headers as sensitive', () => {
    const provider = box({ secret: SDK.primaryKey })
    expect(provider.tolerance).toBe(600)
    expect(provider.sensitiveHeaders).toEqual(['box-signature-primary', 'box-signature-secondary'])
  })
})
