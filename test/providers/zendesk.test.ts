import { describe, expect, it } from 'vitest'
import { zendesk, type ZendeskOptions } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne, type Delivery } from './hmac-support.js'
import { headerTable, hmacBase64, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, NOW_S, verify } from './core-support.js'

// Zendesk's documented static secret for test requests sent before a webhook exists ("this_secret_is_for_testing_only"),
// used as the key verbatim, as Zendesk's Node example does.
const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=='
const OTHER = 'zd-rotated-signing-secret-8e2f'
const NOW_TEXT = '2023-11-14T22:13:20Z'
// The shape of a Zendesk event-subscription delivery.
const EVENT = JSON.stringify({
  type: 'zen:event-type:user.created',
  account_id: 12514403,
  id: '2b3d1e5f-7a9c-4e8b-a1c3-5d7f9b1e3a6c',
  time: NOW_TEXT,
  zendesk_event_version: '2022-11-06',
  subject: 'zen:user:123',
  detail: { id: '123', email: 'ada@example.com' },
  event: {},
})
// A trigger webhook: whatever JSON the admin wrote, with placeholders filled in.
const TRIGGER = JSON.stringify({ ticket_id: '35', status: 'open', requester: 'ada@example.com' })

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')

/** As Zendesk's guide computes it: base64(HMAC-SHA256(secret, TIMESTAMP + BODY)). */
function signed(body: string, timestamp = NOW_TEXT, extra: Record<string, string> = {}, secret = SECRET): Delivery {
  return {
    headers: {
      'Content-Type': 'application/json',
      'X-Zendesk-Webhook-Id': '01GXPY4NB2E0CF6CH4W5T3QVVR',
      'X-Zendesk-Webhook-Invocation-Id': '8350205582',
      'X-Zendesk-Webhook-Signature-Timestamp': timestamp,
      'X-Zendesk-Webhook-Signature': hmacBase64(secret, timestamp, body),
      ...extra,
    },
    body,
  }
}

describe.each(BACKENDS)('zendesk with %s', (_name, crypto) => {
  const provider = (options: Partial<ZendeskOptions> = {}) => zendesk({ secret: SECRET, crypto, ...options })

  it('accepts an event delivery signed as Zendesk’s guide does; the signed body id is the event id', async () => {
    const r = await runOne(provider(), signed(EVENT))
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: '2b3d1e5f-7a9c-4e8b-a1c3-5d7f9b1e3a6c',
      type: 'zen:event-type:user.created',
      timestamp: NOW_S,
      provider: 'zendesk',
    })
    expect(r.enqueued[0]!.headers['x-zendesk-webhook-signature']).toBe('[redacted]')
    expect((await verify(provider(), signed(EVENT))).fingerprint).toBeUndefined()
  })

  it('an event retried with a fresh timestamp and signature is a duplicate', async () => {
    const runs = await run(provider(), [signed(EVENT, iso(NOW_S - 30)), signed(EVENT, NOW_TEXT)])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('a trigger webhook: id from the invocation header, and the MAC is the fingerprint', async () => {
    const delivery = signed(TRIGGER)
    const verification = await verify(provider(), delivery)
    expect(verification.id).toBe('8350205582')
    expect(Buffer.from(verification.fingerprint!).toString('base64')).toBe(
      (delivery.headers as Record<string, string>)['X-Zendesk-Webhook-Signature'],
    )
    const replay = { ...delivery, headers: { ...delivery.headers, 'X-Zendesk-Webhook-Invocation-Id': '9999999999' } }
    const runs = await run(provider(), [delivery, replay])
    expect([runs[0]!.code, runs[1]!.code, runs[1]!.enqueued.length]).toEqual(['accepted', 'duplicate', 1])
    expect(runs[0]!.enqueued[0]).toMatchObject({ id: '8350205582', payload: JSON.parse(TRIGGER) })
    expect(runs[0]!.enqueued[0]!.type).toBeUndefined()
  })

  it('a trigger webhook without an invocation id gets the body hash', async () => {
    const delivery = signed(TRIGGER)
    delete (delivery.headers as Record<string, string>)['X-Zendesk-Webhook-Invocation-Id']
    expect((await runOne(provider(), delivery)).enqueued[0]!.id).toBe(sha256Id(TRIGGER))
  })

  it('XML and form bodies are handed over as text and as an object', async () => {
    const xml = '<ticket><id>35</id></ticket>'
    const asXml = await runOne(provider(), signed(xml, NOW_TEXT, { 'Content-Type': 'application/xml' }))
    expect(asXml.enqueued[0]!.payload).toBe(xml)
    const form = 'ticket_id=35&status=open'
    const asForm = await runOne(
      provider(),
      signed(form, NOW_TEXT, { 'Content-Type': 'application/x-www-form-urlencoded' }),
    )
    expect(asForm.enqueued[0]!.payload).toEqual({ ticket_id: '35', status: 'open' })
  })

  it('a signed JSON body that does not parse is a 400, not a 401', async () => {
    expect((await runOne(provider(), signed('{"ticket":'))).code).toBe('body.malformed')
  })

  it('refuses a changed body, a changed timestamp and a wrong secret; accepts either secret of a rotation', async () => {
    const good = signed(EVENT)
    expect((await runOne(provider(), { ...good, body: EVENT.replace('ada@', 'eve@') })).code).toBe('signature.invalid')
    const moved = { ...good, headers: { ...good.headers, 'X-Zendesk-Webhook-Signature-Timestamp': iso(NOW_S - 1) } }
    expect((await runOne(provider(), moved)).code).toBe('signature.invalid')
    expect((await runOne(provider(), signed(EVENT, NOW_TEXT, {}, OTHER))).code).toBe('signature.invalid')
    expect((await runOne(provider({ secret: [SECRET, OTHER] }), signed(EVENT, NOW_TEXT, {}, OTHER))).code).toBe(
      'accepted',
    )
  })

  it.each([
    ['300 s old', iso(NOW_S - 300), 'accepted'],
    ['301 s old', iso(NOW_S - 301), 'timestamp.out_of_range'],
    ['301 s ahead', iso(NOW_S + 301), 'timestamp.out_of_range'],
    ['with an offset instead of Z', '2023-11-14T23:13:20+01:00', 'accepted'],
    ['with fractional seconds', '2023-11-14T22:13:20.123Z', 'accepted'],
  ])('a timestamp %s is %s', async (_title, timestamp, code) => {
    expect((await runOne(provider(), signed(EVENT, timestamp))).code).toBe(code)
  })

  it('signRequest produces what the guide computes', async () => {
    const request = await signRequest(provider(), { body: EVENT, timestamp: NOW_S })
    expect(request.headers['x-zendesk-webhook-signature-timestamp']).toBe(NOW_TEXT)
    expect(request.headers['x-zendesk-webhook-signature']).toBe(hmacBase64(SECRET, NOW_TEXT, EVENT))
  })
})

describe('zendesk: headers', () => {
  const good = signed(EVENT).headers as Record<string, string>
  const sig = good['X-Zendesk-Webhook-Signature']!
  const cases: HeaderCase[] = [
    ['no signature', 401, 'signature.missing', { 'X-Zendesk-Webhook-Signature-Timestamp': NOW_TEXT }],
    ['no timestamp', 401, 'timestamp.missing', { 'X-Zendesk-Webhook-Signature': sig }],
    [
      'a Unix timestamp',
      400,
      'timestamp.malformed',
      { ...good, 'X-Zendesk-Webhook-Signature-Timestamp': String(NOW_S) },
    ],
    [
      'a timestamp without a zone',
      400,
      'timestamp.malformed',
      { ...good, 'X-Zendesk-Webhook-Signature-Timestamp': '2023-11-14T22:13:20' },
    ],
    [
      'an impossible date',
      400,
      'timestamp.malformed',
      { ...good, 'X-Zendesk-Webhook-Signature-Timestamp': '2023-02-30T22:13:20Z' },
    ],
    [
      'a hex signature',
      400,
      'signature.malformed',
      { ...good, 'X-Zendesk-Webhook-Signature': Buffer.from(sig, 'base64').toString('hex') },
    ],
    [
      'a wrong MAC',
      401,
      'signature.invalid',
      { ...good, 'X-Zendesk-Webhook-Signature': Buffer.alloc(32, 9).toString('base64') },
    ],
    ['the signature twice', 400, 'header.duplicated', { ...good, 'X-Zendesk-Webhook-Signature': [sig, sig] }],
    [
      'the timestamp twice',
      400,
      'header.duplicated',
      { ...good, 'X-Zendesk-Webhook-Signature-Timestamp': [NOW_TEXT, NOW_TEXT] },
    ],
  ]
  headerTable(() => zendesk({ secret: SECRET }), EVENT, cases, [sig.slice(0, 16)])
})

describe('zendesk: configuration', () => {
  refusesWeakSecrets('zendesk', (secret) => zendesk({ secret: secret as string }))

  it('defaults to 300 s and takes a tolerance', async () => {
    expect(zendesk({ secret: SECRET }).tolerance).toBe(300)
    expect((await runOne(zendesk({ secret: SECRET, tolerance: 900 }), signed(EVENT, iso(NOW_S - 800)))).code).toBe(
      'accepted',
    )
    expect(configMessage(() => zendesk({ secret: SECRET, tolerance: Infinity }))).toMatch(/tolerance must be/)
  })
})
