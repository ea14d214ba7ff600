import braintreeSdk from 'braintree'
import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { braintree, type BraintreeNotification, type BraintreeOptions } from '../../src/index.js'
import { readNotification } from '../../src/providers/braintree.js'
import { sha1, sha1Js } from '../../src/providers/kit/sha1.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne, type Delivery } from './hmac-support.js'
import { refusesWeakSecrets } from './batch-b-support.js'
import { BACKENDS, configMessage, statusOf, verify } from './core-support.js'

const PUBLIC_KEY = 'hxdvt5mzpr3kvqs6'
const PRIVATE_KEY = '7b1e3c9d5f2a4e6b8c0d1f3a5b7c9e2d'
const OTHER_PRIVATE = '0a9b8c7d6e5f40312a3b4c5d6e7f8091'

const gateway = (privateKey = PRIVATE_KEY, publicKey = PUBLIC_KEY) =>
  new braintreeSdk.BraintreeGateway({
    environment: braintreeSdk.Environment.Sandbox,
    merchantId: 'hookguard_merchant',
    publicKey,
    privateKey,
  })

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' }

/** A sample notification from Braintree's SDK, posted as Braintree posts it. */
async function sdkDelivery(
  kind: braintreeSdk.WebhookNotificationKind,
  id = 'sub_1',
  gw = gateway(),
): Promise<Delivery> {
  const sample = await gw.webhookTesting.sampleNotification(kind, id)
  return { headers: formHeaders, body: form({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload }) }
}

/** bt_signature as the SDK computes it: publicKey|hex HMAC-SHA1(SHA-1(privateKey), payload). */
function signature(payload: string, privateKey = PRIVATE_KEY, publicKey = PUBLIC_KEY): string {
  const key = createHash('sha1').update(privateKey).digest()
  return `${publicKey}|${createHmac('sha1', key).update(payload).digest('hex')}`
}

const XML =
  '<notification>\n  <timestamp type="datetime">2023-11-14T22:13:20Z</timestamp>\n  <kind>dispute_opened</kind>\n' +
  '  <subject><dispute><id>dp_1</id><kind>chargeback</kind><reason>fraud &amp; abuse</reason></dispute></subject>\n</notification>\n'
const PAYLOAD = Buffer.from(XML).toString('base64') + '\n'

describe('braintree: the official SDK', () => {
  it.each(BACKENDS)(
    'accepts the SDK’s sample notification on %s; type is its kind, payload its XML',
    async (_name, crypto) => {
      const r = await runOne(
        braintree({ publicKey: PUBLIC_KEY, secret: PRIVATE_KEY, crypto }),
        await sdkDelivery('subscription_went_past_due'),
      )
      expect(r.result.status).toBe(200)
      const event = r.enqueued[0]!
      const payload = event.payload as BraintreeNotification
      expect(event).toMatchObject({ type: 'subscription_went_past_due', provider: 'braintree' })
      expect(payload.kind).toBe('subscription_went_past_due')
      expect(payload.xml).toContain('<id>sub_1</id>')
      expect(event.id).toBe(`sha256:${createHash('sha256').update(payload.xml).digest('hex')}`)
    },
  )

  it('the SDK parses what signRequest produces', async () => {
    const signed = await signRequest(braintree({ publicKey: PUBLIC_KEY, secret: PRIVATE_KEY }), { body: XML })
    const fields = new URLSearchParams(signed.body as string)
    const notification = await gateway().webhookNotification.parse(
      fields.get('bt_signature')!,
      fields.get('bt_payload')!,
    )
    expect(notification.kind).toBe('dispute_opened')
    await expect(
      gateway(OTHER_PRIVATE).webhookNotification.parse(fields.get('bt_signature')!, fields.get('bt_payload')!),
    ).rejects.toThrow()
  })

  it('the SDK’s check notification is a handshake: 200, empty body, never queued', async () => {
    const r = await runOne(braintree({ publicKey: PUBLIC_KEY, secret: PRIVATE_KEY }), await sdkDelivery('check'))
    expect([r.result.status, r.result.body, r.code, r.enqueued.length]).toEqual([200, '', 'handshake', 0])
  })

  it('refuses a sample signed with another private key, or for another public key', async () => {
    const provider = braintree({ publicKey: PUBLIC_KEY, secret: PRIVATE_KEY })
    expect((await runOne(provider, await sdkDelivery('check', 'x', gateway(OTHER_PRIVATE)))).code).toBe(
      'signature.invalid',
    )
    expect((await runOne(provider, await sdkDelivery('check', 'x', gateway(PRIVATE_KEY, 'another_public')))).code).toBe(
      'signature.invalid',
    )
  })
})

describe.each(BACKENDS)('braintree with %s', (_name, crypto) => {
  const provider = (options: Partial<BraintreeOptions> = {}) =>
    braintree({ publicKey: PUBLIC_KEY, secret: PRIVATE_KEY, crypto, ...options })
  const delivery = (payload = PAYLOAD, sig = signature(PAYLOAD)) => ({
    headers: formHeaders,
    body: form({ bt_signature: sig, bt_payload: payload }),
  })

  it('reads the root kind and timestamp, never the subject’s', async () => {
    const event = (await runOne(provider(), delivery())).enqueued[0]!
    expect(event.type).toBe('dispute_opened')
    expect(event.payload).toMatchObject({ kind: 'dispute_opened', timestamp: '2023-11-14T22:13:20Z', payload: PAYLOAD })
  })

  it('the payload with or without its trailing newline verifies (as in the SDKs), and is one event', async () => {
    const bare = PAYLOAD.slice(0, -1)
    const runs = await run(provider(), [delivery(), delivery(bare, signature(PAYLOAD))])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('percent escapes spelt in lower case are the same notification (the MAC is the fingerprint)', async () => {
    const good = delivery()
    const lower = good.body.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())
    expect(lower).not.toBe(good.body)
    const verification = await verify(provider(), good)
    expect(Buffer.from(verification.fingerprint!).toString('hex')).toBe(signature(PAYLOAD).split('|')[1])
    const runs = await run(provider(), [good, { ...good, body: lower }])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('a payload wrapped at 60 characters (Ruby’s Base64.encode64) verifies and decodes', async () => {
    const wrapped = Buffer.from(XML).toString('base64').replace(/.{60}/g, '$&\n') + '\n'
    const r = await runOne(provider(), delivery(wrapped, signature(wrapped)))
    expect([r.code, (r.enqueued[0]?.payload as BraintreeNotification).xml]).toEqual(['accepted', XML])
  })

  it('finds its own pair among several; a rotation list of private keys accepts either', async () => {
    const pairs = `${signature(PAYLOAD, OTHER_PRIVATE, 'someone_else')}&${signature(PAYLOAD)}`
    expect((await runOne(provider(), delivery(PAYLOAD, pairs))).code).toBe('accepted')
    const rotated = delivery(PAYLOAD, signature(PAYLOAD, OTHER_PRIVATE))
    expect((await runOne(provider(), rotated)).code).toBe('signature.invalid')
    expect((await runOne(provider({ secret: [PRIVATE_KEY, OTHER_PRIVATE] }), rotated)).code).toBe('accepted')
  })

  it.each([
    [
      'a changed payload',
      () => delivery(Buffer.from(XML.replace('dp_1', 'dp_2')).toString('base64') + '\n'),
      401,
      'signature.invalid',
    ],
    [
      'no bt_signature',
      () => ({ headers: formHeaders, body: form({ bt_payload: PAYLOAD }) }),
      401,
      'signature.missing',
    ],
    [
      'no pair for the public key',
      () => delivery(PAYLOAD, signature(PAYLOAD, PRIVATE_KEY, 'other')),
      401,
      'signature.invalid',
    ],
    [
      'upper-case hex',
      () => delivery(PAYLOAD, signature(PAYLOAD).toUpperCase().replace(PUBLIC_KEY.toUpperCase(), PUBLIC_KEY)),
      400,
      'signature.malformed',
    ],
    ['a short MAC', () => delivery(PAYLOAD, signature(PAYLOAD).slice(0, -2)), 400, 'signature.malformed'],
    ['33 pairs', () => delivery(PAYLOAD, Array(33).fill(signature(PAYLOAD)).join('&')), 400, 'signature.malformed'],
    [
      'no bt_payload',
      () => ({ headers: formHeaders, body: form({ bt_signature: signature(PAYLOAD) }) }),
      400,
      'body.malformed',
    ],
    ['illegal payload characters', () => delivery(`${PAYLOAD}!`, signature(`${PAYLOAD}!`)), 400, 'body.malformed'],
    [
      'bt_payload twice',
      () => ({ headers: formHeaders, body: `${delivery().body}&bt_payload=${encodeURIComponent(PAYLOAD)}` }),
      400,
      'body.malformed',
    ],
    [
      'a JSON body',
      () => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ bt_payload: PAYLOAD }) }),
      401,
      'signature.missing',
    ],
  ])('answers %s with %i %s', async (_title, make, status, code) => {
    expect(await statusOf(provider(), make())).toEqual({ status, code })
  })

  it('a signed payload that is not base64 of UTF-8 XML is a 400 after verification', async () => {
    const notText = Buffer.from([0xff, 0xfe, 0x00]).toString('base64')
    expect(await statusOf(provider(), delivery(notText, signature(notText)))).toEqual({
      status: 400,
      code: 'body.malformed',
    })
  })
})

describe('braintree: SHA-1 of the private key', () => {
  it('the pure implementation matches node:crypto across block boundaries', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff)
      const expected = createHash('sha1').update(data).digest('hex')
      expect(Buffer.from(sha1Js(data)).toString('hex'), `length ${length}`).toBe(expected)
      expect(Buffer.from(sha1(data)).toString('hex')).toBe(expected)
    }
    // FIPS 180 example.
    expect(Buffer.from(sha1Js(new TextEncoder().encode('abc'))).toString('hex')).toBe(
      'a9993e364706816aba3e25717850c26c9cd0d89d',
    )
  })
})

describe('braintree: the notification XML', () => {
  it('decodes entities in root fields and ignores nested elements of the same name', () => {
    const xml =
      '<?xml version="1.0"?><notification><subject><kind>nested</kind></subject><kind>a&amp;b</kind></notification>'
    const notification = readNotification(Buffer.from(xml).toString('base64'))
    expect([notification.kind, notification.timestamp]).toEqual(['a&b', undefined])
  })
})

describe('braintree: configuration', () => {
  refusesWeakSecrets('braintree', (secret) => braintree({ publicKey: PUBLIC_KEY, secret: secret as string }))

  it('needs a public key, refuses a short or non-ASCII private key, and a tolerance', () => {
    expect(configMessage(() => braintree({ secret: PRIVATE_KEY } as never))).toMatch(/publicKey must be/)
    expect(configMessage(() => braintree({ publicKey: [], secret: PRIVATE_KEY }))).toMatch(/publicKey must be/)
    expect(configMessage(() => braintree({ publicKey: PUBLIC_KEY, secret: '7b1e3c9d5f2a' }))).toMatch(/too short/)
    expect(configMessage(() => braintree({ publicKey: PUBLIC_KEY, secret: 'clé-privée-123456789' }))).toMatch(/ASCII/)
    expect(
      configMessage(() => braintree({ publicKey: PUBLIC_KEY, secret: PRIVATE_KEY, tolerance: 5 } as never)),
    ).toMatch(/signs no timestamp/)
  })
})
