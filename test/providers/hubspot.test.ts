import { Signature } from '@hubspot/api-client'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hubspot, type HubSpotOptions } from '../../src/index.js'
import { hubspotSignedUri } from '../../src/providers/hubspot.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne, type Delivery } from './hmac-support.js'
import { headerTable, hmacBase64, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, NOW_MS } from './core-support.js'

const SECRET = '7b3e9c1a-5d2f-4e8b-9a6c-0f1d2e3c4b5a'
const OTHER = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c'
// HubSpot's documented webhook batch (v1 validation guide), with a second attempt.
const event = (attemptNumber: number, eventId = 1) => ({
  eventId,
  subscriptionId: 12345,
  portalId: 62515,
  occurredAt: 1564113600000,
  subscriptionType: 'contact.creation',
  attemptNumber,
  objectId: 123,
  changeSource: 'CRM',
  changeFlag: 'NEW',
  appId: 54321,
})
const BODY = JSON.stringify([event(0)])
const URL = 'https://www.example.com/webhook_uri'

/** As HubSpot's guide builds it: base64 HMAC-SHA256 of method + decoded URI + body + timestamp (ms). */
function signed(body: string, timestampMs = NOW_MS, url = URL, secret = SECRET, method = 'POST'): Delivery {
  const timestamp = String(timestampMs)
  const signature = hmacBase64(secret, method, hubspotSignedUri(url), body, timestamp)
  const headers = {
    'Content-Type': 'application/json',
    'X-HubSpot-Signature-v3': signature,
    'X-HubSpot-Request-Timestamp': timestamp,
  }
  return { headers, body, url }
}

describe('hubspot: the official SDK', () => {
  it('@hubspot/api-client’s Signature.isValid (v3) accepts what signRequest produces', async () => {
    const now = Date.now()
    const request = await signRequest(hubspot({ secret: SECRET }), { body: BODY, url: URL, now: () => now })
    const timestamp = Number(request.headers['x-hubspot-request-timestamp'])
    expect(timestamp).toBe(now)
    const options = { signatureVersion: 'v3', clientSecret: SECRET, requestBody: BODY, url: URL, timestamp }
    expect(
      Signature.isValid({ ...options, method: 'POST', signature: request.headers['x-hubspot-signature-v3']! }),
    ).toBe(true)
    expect(
      Signature.isValid({
        ...options,
        method: 'POST',
        requestBody: BODY + ' ',
        signature: request.headers['x-hubspot-signature-v3']!,
      }),
    ).toBe(false)
  })

  it.each(BACKENDS)('accepts a request signed by Signature.getSignature (v3) on %s', async (_name, crypto) => {
    const now = Date.now()
    const url = 'https://www.example.com/webhook_uri?userEmail=a%40example.com&portalId=62515'
    // The SDK hashes the URL it is given: HubSpot's guide has the caller decode the listed escapes first.
    const signature = Signature.getSignature('POST', 'v3', {
      clientSecret: SECRET,
      requestBody: BODY,
      url: 'https://www.example.com/webhook_uri?userEmail=a@example.com&portalId=62515',
      timestamp: now,
    } as never)
    const delivery = {
      headers: { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(now) },
      body: BODY,
      url,
    }
    const r = await runOne(hubspot({ secret: SECRET, crypto }), delivery, now)
    expect([r.result.status, r.enqueued[0]?.type]).toEqual([200, 'contact.creation'])
  })
})

describe('hubspot: the URI as HubSpot signs it', () => {
  it('decodes exactly the twelve escapes of HubSpot’s table, in either case, and nothing else', () => {
    const escaped = '%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B'
    expect(hubspotSignedUri(`https://x.test/p?q=${escaped}`)).toBe("https://x.test/p?q=:/?@!$'()*,;")
    expect(hubspotSignedUri('https://x.test/p?q=%3a%2f%40')).toBe('https://x.test/p?q=:/@')
    expect(hubspotSignedUri('https://x.test/a%20b?q=%25%26%3D%2B%23%5B')).toBe(
      'https://x.test/a%20b?q=%25%26%3D%2B%23%5B',
    )
  })

  it('a signature over the undecoded URL is refused; over the decoded one it passes', async () => {
    const url = 'https://www.example.com/card?userEmail=a%40example.com'
    const undecoded = hmacBase64(SECRET, 'POST', url, BODY, String(NOW_MS))
    const headers = { 'X-HubSpot-Signature-v3': undecoded, 'X-HubSpot-Request-Timestamp': String(NOW_MS) }
    expect((await runOne(hubspot({ secret: SECRET }), { headers, body: BODY, url })).code).toBe('signature.invalid')
    expect((await runOne(hubspot({ secret: SECRET }), signed(BODY, NOW_MS, url))).code).toBe('accepted')
  })
})

describe.each(BACKENDS)('hubspot with %s', (_name, crypto) => {
  const provider = (options: Partial<HubSpotOptions> = {}) => hubspot({ secret: SECRET, crypto, ...options })

  it('accepts a signed batch; the timestamp is the signed one, in seconds', async () => {
    const r = await runOne(provider(), signed(BODY))
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ provider: 'hubspot', type: 'contact.creation', timestamp: NOW_MS / 1000 })
    expect(r.enqueued[0]!.headers['x-hubspot-signature-v3']).toBe('[redacted]')
  })

  it('a retry (attemptNumber bumped, re-signed later) is a duplicate; another event is not', async () => {
    const runs = await run(
      provider(),
      [signed(BODY), signed(JSON.stringify([event(1)]), NOW_MS + 60_000), signed(JSON.stringify([event(0, 2)]))],
      NOW_MS + 60_000,
    )
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate', 'accepted'])
    const stable = JSON.stringify([event(0)]).replace(',"attemptNumber":0', '')
    expect(runs[0]!.enqueued[0]!.id).toBe(`sha256:${createHash('sha256').update(stable).digest('hex')}`)
  })

  it('a batch of several subscription types has type batch; a non-array body gets the body hash', async () => {
    const mixed = JSON.stringify([event(0), { ...event(0, 9), subscriptionType: 'deal.creation' }])
    expect((await runOne(provider(), signed(mixed))).enqueued[0]!.type).toBe('batch')
    const card = JSON.stringify({ userId: 1, portalId: 62515, associatedObjectId: 9 })
    expect((await runOne(provider(), signed(card))).enqueued[0]!.id).toBe(sha256Id(card))
  })

  it('signs the method: the same signature for GET is refused on POST', async () => {
    const delivery = signed(BODY, NOW_MS, URL, SECRET, 'GET')
    expect((await runOne(provider(), delivery)).code).toBe('signature.invalid')
  })

  it('refuses a changed body, a wrong secret; accepts either secret of a rotation', async () => {
    const good = signed(BODY)
    expect((await runOne(provider(), { ...good, body: BODY.replace('62515', '62516') })).code).toBe('signature.invalid')
    expect((await runOne(provider(), signed(BODY, NOW_MS, URL, OTHER))).code).toBe('signature.invalid')
    expect((await runOne(provider({ secret: [SECRET, OTHER] }), signed(BODY, NOW_MS, URL, OTHER))).code).toBe(
      'accepted',
    )
  })

  it.each([
    ['5 minutes old', NOW_MS - 300_000, 'accepted'],
    ['5 minutes and 1 s old', NOW_MS - 301_000, 'timestamp.out_of_range'],
    ['5 minutes ahead', NOW_MS + 300_000, 'accepted'],
    ['5 minutes and 1 s ahead', NOW_MS + 301_000, 'timestamp.out_of_range'],
    ['in seconds instead of milliseconds', NOW_MS / 1000, 'timestamp.out_of_range'],
  ])('a timestamp %s is %s', async (_title, timestamp, code) => {
    expect((await runOne(provider(), signed(BODY, timestamp))).code).toBe(code)
  })

  it('a tolerance of 60 s refuses a 61-s-old request', async () => {
    expect((await runOne(provider({ tolerance: 60 }), signed(BODY, NOW_MS - 61_000))).code).toBe(
      'timestamp.out_of_range',
    )
    expect((await runOne(provider({ tolerance: 60 }), signed(BODY, NOW_MS - 59_000))).code).toBe('accepted')
  })
})

describe('hubspot: the public URL', () => {
  it('a relative request URL without publicUrl is a 500 that names the option', async () => {
    const r = await runOne(hubspot({ secret: SECRET }), { ...signed(BODY), url: '/webhook_uri' })
    expect([r.result.status, r.code]).toEqual([500, 'receiver.misconfigured'])
    expect((r.result.outcome as { reason?: string }).reason).toMatch(/publicUrl/)
  })

  it('publicUrl replaces the request URL and keeps its query string', async () => {
    const provider = hubspot({ secret: SECRET, publicUrl: 'https://www.example.com/webhook_uri' })
    const delivery = signed(BODY, NOW_MS, 'https://www.example.com/webhook_uri?portalId=62515&userEmail=a%40b.c')
    expect((await runOne(provider, { ...delivery, url: '/internal?portalId=62515&userEmail=a%40b.c' })).code).toBe(
      'accepted',
    )
    expect((await runOne(provider, { ...delivery, url: '/internal?portalId=1' })).code).toBe('signature.invalid')
  })

  it('refuses a publicUrl that is not absolute at construction', () => {
    expect(configMessage(() => hubspot({ secret: SECRET, publicUrl: '/hooks' }))).toMatch(
      /publicUrl must be an absolute/,
    )
  })
})

describe('hubspot: headers', () => {
  const good = signed(BODY)
  const h = good.headers as Record<string, string>
  const sig = h['X-HubSpot-Signature-v3']!
  const ts = h['X-HubSpot-Request-Timestamp']!
  const cases: HeaderCase[] = [
    [
      'only a v1 signature (never used)',
      401,
      'signature.missing',
      {
        'X-HubSpot-Signature': createHash('sha256')
          .update(SECRET + BODY)
          .digest('hex'),
        'X-HubSpot-Signature-Version': 'v1',
        'X-HubSpot-Request-Timestamp': ts,
      },
    ],
    ['no timestamp', 401, 'timestamp.missing', { 'X-HubSpot-Signature-v3': sig }],
    ['a timestamp with a sign', 400, 'timestamp.malformed', { ...h, 'X-HubSpot-Request-Timestamp': `+${ts}` }],
    [
      'a timestamp with a decimal point',
      400,
      'timestamp.malformed',
      { ...h, 'X-HubSpot-Request-Timestamp': `${ts}.0` },
    ],
    [
      'an RFC 3339 timestamp',
      400,
      'timestamp.malformed',
      { ...h, 'X-HubSpot-Request-Timestamp': '2023-11-14T22:13:20Z' },
    ],
    [
      'a hex signature',
      400,
      'signature.malformed',
      { ...h, 'X-HubSpot-Signature-v3': Buffer.from(sig, 'base64').toString('hex') },
    ],
    [
      'a wrong MAC',
      401,
      'signature.invalid',
      { ...h, 'X-HubSpot-Signature-v3': Buffer.alloc(32, 1).toString('base64') },
    ],
    ['the signature twice', 400, 'header.duplicated', { ...h, 'X-HubSpot-Signature-v3': [sig, sig] }],
    ['the timestamp twice', 400, 'header.duplicated', { ...h, 'X-HubSpot-Request-Timestamp': [ts, ts] }],
  ]
  headerTable(() => hubspot({ secret: SECRET, publicUrl: URL }), BODY, cases, [sig.slice(0, 16)])
})

describe('hubspot: configuration', () => {
  refusesWeakSecrets('hubspot', (secret) => hubspot({ secret: secret as string }))

  it('defaults to a 300 s tolerance and validates the option', () => {
    expect(hubspot({ secret: SECRET }).tolerance).toBe(300)
    expect(configMessage(() => hubspot({ secret: SECRET, tolerance: -1 }))).toMatch(/tolerance must be/)
  })
})
