// Contentful's official toolkit: the signer and verifier of its request verification.
import { signRequest as toolkitSign, verifyRequest } from '@contentful/node-apps-toolkit'
import { describe, expect, it } from 'vitest'
import { contentful } from '../../src/index.js'
import { canonicalPath } from '../../src/providers/contentful.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, NOW_MS } from './core-support.js'
import { run, runOne, type Delivery } from './hmac-support.js'

const SECRET = 'hookguard-contentful-signing-secret-0123456789-ABCDEFGHIJKLMNOPQ'
const OTHER = 'Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-Dc_Ba+Zy/Xw=Vu9Ts8Rq7Po6Nm5Lk4J'
const URL = 'https://hooks.example.com/contentful/caf%C3%A9?space=sp1&note=a%20b'
const PATH = '/contentful/caf%C3%A9?space=sp1&note=a%20b'
const BODY = JSON.stringify({
  sys: { id: '5KsDBWseXY6QegucYAoacS', type: 'Entry', version: 7, space: { sys: { id: 'sp1' } } },
  fields: { title: { 'en-US': 'Grüße ✓' } },
})
const KEY = '6a1d59b3e1c3b16e3f8a0d5c2b7e4f9a1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f'

/** Headers Contentful sends, signed by the toolkit at `ms` (the topic and idempotency key included). */
function toolkitHeaders(ms = NOW_MS, extra: Record<string, string> = {}, secret = SECRET, path = PATH) {
  const headers = {
    'X-Contentful-Topic': 'ContentManagement.Entry.publish',
    'X-Contentful-Idempotency-Key': KEY,
    ...extra,
  }
  const signed = toolkitSign(secret, { method: 'POST', path, headers, body: BODY }, ms)
  return { 'content-type': 'application/vnd.contentful.management.v1+json', ...headers, ...signed }
}

const delivery = (headers: Record<string, string | string[]>, url = URL, body = BODY): Delivery => ({
  headers,
  body,
  url,
})

describe.each(BACKENDS)('contentful with %s', (_name, crypto) => {
  it('accepts what the toolkit signs; id X-Contentful-Idempotency-Key, type X-Contentful-Topic', async () => {
    const r = await runOne(contentful({ secret: SECRET, crypto }), delivery(toolkitHeaders()))
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: KEY,
      type: 'ContentManagement.Entry.publish',
      provider: 'contentful',
      timestamp: NOW_MS / 1000,
    })
    expect(r.enqueued[0]!.headers['x-contentful-signature']).toBe('[redacted]')
  })

  it('accepts app-event context headers the toolkit signs (CRN, space, environment, app)', async () => {
    const signed = toolkitSign(
      SECRET,
      { method: 'POST', path: PATH, headers: { 'x-contentful-topic': 'AppEvent' }, body: BODY },
      NOW_MS,
      { crn: 'crn:contentful:::content:spaces/sp1', spaceId: 'sp1', envId: 'master', appId: 'app1' },
    )
    const headers = { 'x-contentful-topic': 'AppEvent', ...signed }
    expect(headers['x-contentful-signed-headers']).toContain('x-contentful-app-id')
    expect((await runOne(contentful({ secret: SECRET, crypto }), delivery(headers))).code).toBe('accepted')
  })

  it('signed headers are covered: a changed or removed one is refused, an unsigned one may change', async () => {
    const provider = contentful({ secret: SECRET, crypto })
    const headers = toolkitHeaders()
    const changed = { ...headers, 'X-Contentful-Topic': 'ContentManagement.Entry.delete' }
    const { ['X-Contentful-Idempotency-Key']: _removed, ...removed } = headers
    const extra = { ...headers, 'x-contentful-webhook-name': 'renamed' }
    const codes = (await run(provider, [delivery(changed), delivery(removed), delivery(extra)])).map((r) => r.code)
    expect(codes).toEqual(['signature.invalid', 'signature.invalid', 'accepted'])
  })

  it('the method, path, query and body are covered', async () => {
    const provider = contentful({ secret: SECRET, crypto })
    const headers = toolkitHeaders()
    const codes = (
      await run(provider, [
        delivery(headers, URL.replace('space=sp1', 'space=sp2')),
        delivery(headers, URL.replace('caf%C3%A9', 'cafe')),
        delivery(headers, URL, BODY.replace('Grüße', 'Gruesse')),
      ])
    ).map((r) => r.code)
    expect(codes).toEqual(['signature.invalid', 'signature.invalid', 'signature.invalid'])
  })

  it('timestamps: 30 s both ways by default (the toolkit’s TTL); the timestamp is signed', async () => {
    const provider = contentful({ secret: SECRET, crypto })
    const at = (ms: number) => runOne(provider, delivery(toolkitHeaders(ms)))
    expect((await at(NOW_MS - 30_000)).code).toBe('accepted')
    expect((await at(NOW_MS - 31_000)).code).toBe('timestamp.out_of_range')
    expect((await at(NOW_MS + 31_000)).code).toBe('timestamp.out_of_range')
    const moved = { ...toolkitHeaders(), 'x-contentful-timestamp': String(NOW_MS + 1) }
    expect((await runOne(provider, delivery(moved))).code).toBe('signature.invalid')
  })

  it('behind a proxy: `path` gives the signed path when the request reached another one', async () => {
    const internal = 'http://10.0.0.7:3000/internal/hook'
    const headers = toolkitHeaders()
    expect((await runOne(contentful({ secret: SECRET, crypto }), delivery(headers, internal))).code).toBe(
      'signature.invalid',
    )
    const fixed = contentful({ secret: SECRET, path: PATH, crypto })
    expect((await runOne(fixed, delivery(headers, internal))).code).toBe('accepted')
    const perRequest = contentful({ secret: SECRET, path: () => PATH, crypto })
    expect((await runOne(perRequest, delivery(headers, internal))).code).toBe('accepted')
  })

  it('rotation: either of two secrets passes; the id falls back to the body hash without an idempotency key', async () => {
    const signed = toolkitSign(OTHER, { method: 'POST', path: PATH, headers: {}, body: BODY }, NOW_MS)
    const r = await runOne(contentful({ secret: [SECRET, OTHER], crypto }), delivery(signed))
    expect(r.code).toBe('accepted')
    expect(r.enqueued[0]!.id).toBe(sha256Id(BODY))
  })

  it('interop: the toolkit’s verifyRequest accepts signRequest’s output', async () => {
    const signed = await signRequest(contentful({ secret: SECRET, crypto }), { body: BODY, id: KEY, url: URL })
    const canonical = { method: 'POST' as const, path: PATH, headers: signed.headers, body: BODY }
    expect(verifyRequest(SECRET, canonical)).toBe(true)
    expect(verifyRequest(OTHER, canonical)).toBe(false)
    expect((await runOne(contentful({ secret: SECRET, crypto }), delivery(signed.headers), Date.now())).code).toBe(
      'accepted',
    )
  })
})

describe('contentful: canonical path (as the toolkit builds it)', () => {
  it.each([
    ['/hooks', '/hooks'],
    ['https://example.com/hooks?a=1&b=2', '/hooks?a%253D1%2526b%253D2'],
    ['/caf%C3%A9?x=%C3%BC', '/caf%25C3%25A9?x%253D%2525C3%2525BC'],
    ['https://example.com', '/'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalPath(input)).toBe(expected)
  })

  it('agrees with the toolkit: a request it signs for each path verifies', async () => {
    for (const path of ['/a?b=c&d=e', '/ü?x=%20', '/p/a%2Fb?q=a+b']) {
      const signed = toolkitSign(SECRET, { method: 'POST', path, headers: {}, body: BODY }, NOW_MS)
      const r = await runOne(contentful({ secret: SECRET }), delivery(signed, `https://h.example${path}`))
      expect(r.code, path).toBe('accepted')
    }
  })
})

describe('contentful: header parsing', () => {
  const good = toolkitHeaders()
  const sig = good['x-contentful-signature']
  const cases: HeaderCase[] = [
    ['no signature', 401, 'signature.missing', { ...good, 'x-contentful-signature': '' }],
    ['upper-case hex', 400, 'signature.malformed', { ...good, 'x-contentful-signature': sig.toUpperCase() }],
    ['no timestamp', 401, 'timestamp.missing', { ...good, 'x-contentful-timestamp': '' }],
    [
      'a timestamp in seconds with a fraction',
      400,
      'timestamp.malformed',
      { ...good, 'x-contentful-timestamp': '1700000000.5' },
    ],
    ['no signed-headers list', 401, 'signature.missing', { ...good, 'x-contentful-signed-headers': '' }],
    [
      'an upper-case name in the list',
      400,
      'signature.malformed',
      { ...good, 'x-contentful-signed-headers': 'X-Contentful-Topic,x-contentful-timestamp' },
    ],
    [
      'a name listed twice',
      400,
      'signature.malformed',
      { ...good, 'x-contentful-signed-headers': `${good['x-contentful-signed-headers']},x-contentful-topic` },
    ],
    [
      'a listed header that was not sent',
      401,
      'signature.invalid',
      { ...good, 'x-contentful-signed-headers': `${good['x-contentful-signed-headers']},x-missing` },
    ],
    ['the signature twice', 400, 'header.duplicated', { ...good, 'x-contentful-signature': [sig, sig] }],
  ]
  headerTable(() => contentful({ secret: SECRET, path: PATH }), BODY, cases, [SECRET, sig])
})

describe('contentful: configuration', () => {
  refusesWeakSecrets('contentful', (secret) => contentful({ secret } as never))

  it.each([
    ['a secret of 63 characters', { secret: SECRET.slice(1) }, /64-character signing secret/],
    ['a secret with a space', { secret: `${SECRET.slice(1, 32)} ${SECRET.slice(32)}` }, /64-character signing secret/],
    ['a relative path without a slash', { secret: SECRET, path: 'hooks' }, /path must be/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => contentful(options as never))).toMatch(message)
  })

  it('defaults to the toolkit’s 30-second window', () => {
    expect(contentful({ secret: SECRET }).tolerance).toBe(30)
  })
})
