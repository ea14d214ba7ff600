import { describe, expect, it } from 'vitest'
import { wooCommerce, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne } from './hmac-support.js'
import { headerTable, hmacBase64, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, testReceiver, verify, verifyCode } from './core-support.js'

const SECRET = 'wc-webhook-secret-5e8d1f'
const OTHER = 'wc-rotated-secret-2b9c4a'
// WooCommerce sends trim(wp_json_encode($payload)): escaped slashes, no spaces.
const BODY =
  '{"id":727,"status":"processing","currency":"USD","total":"29.35","billing":{"email":"john.doe@example.com"},"_links":{"self":[{"href":"https:\\/\\/shop.example.com\\/wp-json\\/wc\\/v3\\/orders\\/727"}]}}'
const DELIVERY_ID = 'f8b1c2d3e4a5968778695a4b3c2d1e0f'

// class-wc-webhook.php generate_signature(): base64_encode(hash_hmac('sha256', $payload, $secret, true)).
const headersFor = (signature: string, extra: Record<string, string> = {}) => ({
  'Content-Type': 'application/json',
  'X-WC-Webhook-Source': 'https://shop.example.com/',
  'X-WC-Webhook-Topic': 'order.created',
  'X-WC-Webhook-Resource': 'order',
  'X-WC-Webhook-Event': 'created',
  'X-WC-Webhook-ID': '12',
  'X-WC-Webhook-Delivery-ID': DELIVERY_ID,
  'X-WC-Webhook-Signature': signature,
  ...extra,
})

describe.each(BACKENDS)('wooCommerce with %s', (_name, crypto) => {
  it('accepts a delivery signed as WooCommerce signs it; id from the delivery id, type from the topic', async () => {
    let event: WebhookEvent | undefined
    const receiver = testReceiver(wooCommerce({ secret: SECRET, crypto }))
    const result = await receiver.handle(
      { method: 'POST', headers: headersFor(hmacBase64(SECRET, BODY)), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({ id: DELIVERY_ID, type: 'order.created', provider: 'woocommerce' })
    expect(event!.payload).toEqual(JSON.parse(BODY))
    expect(event!.headers['x-wc-webhook-signature']).toBe('[redacted]')
  })

  it('the delivery id is not signed: the verified MAC is the fingerprint and the dedupe key', async () => {
    const signature = hmacBase64(SECRET, BODY)
    const verification = await verify(wooCommerce({ secret: SECRET, crypto }), {
      headers: headersFor(signature),
      body: BODY,
    })
    expect(Buffer.from(verification.fingerprint!).toString('base64')).toBe(signature)
    const [first, replay] = await run(wooCommerce({ secret: SECRET, crypto }), [
      { headers: headersFor(signature), body: BODY },
      {
        headers: headersFor(signature, { 'X-WC-Webhook-Delivery-ID': 'ffffffffffffffffffffffffffffffff' }),
        body: BODY,
      },
    ])
    expect([first!.code, replay!.code, replay!.enqueued.length]).toEqual(['accepted', 'duplicate', 1])
  })

  it('two events delivered in the same second share a delivery id, and both are queued', async () => {
    // WooCommerce's delivery id is wp_hash(webhook id . current second).
    const second = BODY.replace('"processing"', '"completed"')
    const runs = await run(wooCommerce({ secret: SECRET, crypto }), [
      { headers: headersFor(hmacBase64(SECRET, BODY)), body: BODY },
      { headers: headersFor(hmacBase64(SECRET, second)), body: second },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'accepted'])
    expect(runs[1]!.enqueued.map((e) => e.id)).toEqual([DELIVERY_ID, DELIVERY_ID])
  })

  it('refuses a changed body and a wrong secret; accepts either secret of a rotation', async () => {
    const provider = wooCommerce({ secret: SECRET, crypto })
    const signature = hmacBase64(SECRET, BODY)
    expect(await verifyCode(provider, { headers: headersFor(signature), body: BODY.replace('29.35', '0.01') })).toBe(
      'signature.invalid',
    )
    expect(await verifyCode(provider, { headers: headersFor(hmacBase64(OTHER, BODY)), body: BODY })).toBe(
      'signature.invalid',
    )
    const rotating = wooCommerce({ secret: [SECRET, OTHER], crypto })
    expect(await verifyCode(rotating, { headers: headersFor(hmacBase64(OTHER, BODY)), body: BODY })).toBe('ok')
  })

  it('without a delivery id the id is the SHA-256 of the body', async () => {
    const headers = { 'X-WC-Webhook-Signature': hmacBase64(SECRET, BODY), 'X-WC-Webhook-Topic': 'order.updated' }
    const { enqueued } = await runOne(wooCommerce({ secret: SECRET, crypto }), { headers, body: BODY })
    expect(enqueued[0]).toMatchObject({ id: sha256Id(BODY), type: 'order.updated' })
  })

  it('signRequest produces WooCommerce’s signature and headers', async () => {
    const signed = await signRequest(wooCommerce({ secret: SECRET, crypto }), { body: BODY, id: DELIVERY_ID })
    expect(signed.headers['x-wc-webhook-signature']).toBe(hmacBase64(SECRET, BODY))
    expect(signed.headers['x-wc-webhook-delivery-id']).toBe(DELIVERY_ID)
  })
})

describe('wooCommerce: the ping sent when a webhook is saved', () => {
  const ping = (body: string, extra: Record<string, string> = {}) => ({
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'WooCommerce/9.0 Hookshot',
      ...extra,
    },
    body,
  })

  it('answers `webhook_id=<n>` without a signature 200 with an empty body, and queues nothing', async () => {
    const r = await runOne(wooCommerce({ secret: SECRET }), ping('webhook_id=12'))
    expect([r.result.status, r.result.body, r.code, r.enqueued.length]).toEqual([200, '', 'handshake', 0])
    expect(r.result.outcome).toMatchObject({ kind: 'handshake', type: 'ping' })
  })

  it.each([
    ['another field', 'webhook_id=12&x=1'],
    ['a non-numeric id', 'webhook_id=abc'],
    ['an empty id', 'webhook_id='],
    ['a trailing newline', 'webhook_id=12\n'],
    ['a JSON body', '{"webhook_id":12}'],
  ])('refuses an unsigned body with %s (401)', async (_title, body) => {
    const r = await runOne(wooCommerce({ secret: SECRET }), ping(body))
    expect([r.result.status, r.code, r.enqueued.length]).toEqual([401, 'signature.missing', 0])
  })

  it('a ping body with a signature header is verified like any delivery', async () => {
    const r = await runOne(
      wooCommerce({ secret: SECRET }),
      ping('webhook_id=12', { 'X-WC-Webhook-Signature': hmacBase64(OTHER, 'webhook_id=12') }),
    )
    expect([r.result.status, r.code]).toEqual([401, 'signature.invalid'])
  })
})

describe('wooCommerce: X-WC-Webhook-Signature parsing', () => {
  const good = hmacBase64(SECRET, BODY)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'Content-Type': 'application/json' }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['hex instead of base64', 400, 'signature.malformed', headersFor(Buffer.from(good, 'base64').toString('hex'))],
    ['unpadded base64', 400, 'signature.malformed', headersFor(good.replace(/=+$/, ''))],
    ['a space inside', 400, 'signature.malformed', headersFor(`${good.slice(0, 20)} ${good.slice(20)}`)],
    ['a sha256= prefix', 400, 'signature.malformed', headersFor(`sha256=${good}`)],
    ['a wrong MAC', 401, 'signature.invalid', headersFor(Buffer.alloc(32, 7).toString('base64'))],
    ['the header twice', 400, 'header.duplicated', { ...headersFor(good), 'X-WC-Webhook-Signature': [good, good] }],
  ]
  headerTable(() => wooCommerce({ secret: SECRET }), BODY, cases, [good.slice(0, 16)])
})

describe('wooCommerce: configuration', () => {
  refusesWeakSecrets('woocommerce', (secret) => wooCommerce({ secret: secret as string }))

  it('refuses a secret under 8 bytes and a tolerance', () => {
    expect(configMessage(() => wooCommerce({ secret: 'abc123' }))).toMatch(/too short/)
    expect(configMessage(() => wooCommerce({ secret: SECRET, skipTimestampCheck: true } as never))).toMatch(
      /signs no timestamp/,
    )
  })
})
