import { createHash, createHmac, createPrivateKey } from 'node:crypto'
import { importJWK, jwtVerify, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { plaid, type PlaidJwk, type PlaidOptions, type WebhookEvent } from '../../src/index.js'
import { PLAID_KEY_URLS } from '../../src/providers/plaid.js'
import { signRequest } from '../../src/testing.js'
import { jwkOf, PLAID_TEST as T, servingKeyFetcher } from '../fixtures/plaid/index.js'
import { BACKENDS, configMessage, statusOf, testReceiver, verifyCode } from './core-support.js'

/**
 * A webhook Plaid signed, as published in the Q&A "Hashing Plaid Request Body
 * Webhook" (Stack Overflow 62143991): the Plaid-Verification JWT, the JWK that
 * /webhook_verification_key/get answered for its kid, and the body, which is
 * JSON with a 2-space indent (re-serialising it compactly breaks the hash).
 */
const PUBLISHED = {
  jwt: 'eyJhbGciOiJFUzI1NiIsImtpZCI6IjZjNTUxNmUxLTkyZGMtNDc5ZS1hOGZmLTVhNTE5OTJlMDAwMSIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE1OTA4ODcwMDEsInJlcXVlc3RfYm9keV9zaGEyNTYiOiJiNjNhMDdiNTQ3YjAwZjk5MjU0N2Y2YmJjOGQ5YWNjNjFhOGNjZWUxMzhiYzgyZjQ0YTZiYWEwOTY4M2E1ZDBmIn0.OOKvIihgqCj7Qrb2bmz7T3t7uK-0JyjiEqL2s1kWeJBM4MMmjaHKK8GmU_z91QolBWMzvPgs718EElY-rE3cwQ',
  key: {
    alg: 'ES256',
    created_at: 1560466143,
    crv: 'P-256',
    expired_at: null,
    kid: '6c5516e1-92dc-479e-a8ff-5a51992e0001',
    kty: 'EC',
    use: 'sig',
    x: '35lvC8uz2QrWpQJ3TUH8t9o9DURMp7ydU518RKDl20k',
    y: 'I8BuXB2bvxelzJAd7OKhd-ZwjCst05Fx47Mb_0ugros',
  } satisfies PlaidJwk,
  body: JSON.stringify(
    {
      error: null,
      item_id: 'yxQbxDjnD8hr69pKbQpbcKeVn3GL9QuyA7NV3',
      new_transactions: 390,
      webhook_code: 'HISTORICAL_UPDATE',
      webhook_type: 'TRANSACTIONS',
    },
    null,
    2,
  ),
  iat: 1590887001,
}

const BODY = JSON.stringify({
  webhook_type: 'TRANSACTIONS',
  webhook_code: 'SYNC_UPDATES_AVAILABLE',
  item_id: 'wz666MBjYWTp2PDzzggYhM6oWWmBb',
  initial_update_complete: true,
  historical_update_complete: true,
  environment: 'production',
})
const NOW_S = 1_700_000_000
const NOW = NOW_S * 1000
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A token made by jose, the JWT library Plaid's guide points to, with the fixture key. */
async function joseToken(body: string, over: { iat?: number; kid?: string; key?: string; hash?: string } = {}) {
  return new SignJWT({ request_body_sha256: over.hash ?? sha256(body) })
    .setProtectedHeader({ alg: 'ES256', kid: over.kid ?? T.kid, typ: 'JWT' })
    .setIssuedAt(over.iat ?? NOW_S)
    .sign(createPrivateKey(over.key ?? T.privateKey))
}

function provider(options: Partial<PlaidOptions> = {}) {
  const fetchKey = servingKeyFetcher({ [T.kid]: T.jwk, [PUBLISHED.key.kid]: PUBLISHED.key })
  return { fetchKey, provider: plaid({ fetchKey, ...options }) }
}

const request = (token: string, body = BODY) => ({
  headers: { 'content-type': 'application/json', 'plaid-verification': token },
  body,
})

describe('plaid: a webhook Plaid signed', () => {
  it.each(BACKENDS)(
    'is accepted at its iat with %s; id from the body hash, type from the codes',
    async (_n, crypto) => {
      const { provider: p, fetchKey } = provider({ crypto })
      let event: WebhookEvent | undefined
      const result = await testReceiver(p, PUBLISHED.iat * 1000).handle(
        { method: 'POST', ...request(PUBLISHED.jwt, PUBLISHED.body) },
        { deliver: (e) => ((event = e), true) },
      )
      expect(result.status).toBe(200)
      expect(event).toMatchObject({
        id: `sha256:${sha256(PUBLISHED.body)}@${PUBLISHED.iat}`,
        type: 'TRANSACTIONS.HISTORICAL_UPDATE',
        timestamp: PUBLISHED.iat,
        provider: 'plaid',
      })
      expect(event?.headers['plaid-verification']).toBe('[redacted]')
      expect(fetchKey.calls).toEqual([[PUBLISHED.key.kid, PLAID_KEY_URLS.production]])
    },
  )

  it('the same body re-serialised compactly (the Q&A’s mistake) is refused before any key fetch', async () => {
    const { provider: p, fetchKey } = provider()
    const compact = JSON.stringify(JSON.parse(PUBLISHED.body))
    expect(await verifyCode(p, request(PUBLISHED.jwt, compact), PUBLISHED.iat * 1000)).toBe('signature.invalid')
    expect(fetchKey.calls).toEqual([])
  })

  it('five minutes later it is refused as stale', async () => {
    const { provider: p } = provider()
    expect(await verifyCode(p, request(PUBLISHED.jwt, PUBLISHED.body), (PUBLISHED.iat + 301) * 1000)).toBe(
      'timestamp.out_of_range',
    )
  })
})

describe.each(BACKENDS)('plaid with %s', (_name, crypto) => {
  it('interop with jose: accepts jose’s tokens, and jose verifies what signRequest makes', async () => {
    const { provider: p } = provider({ crypto, signing: { privateKey: T.privateKey, kid: T.kid } })
    expect(await verifyCode(p, request(await joseToken(BODY)), NOW)).toBe('ok')
    const signed = await signRequest(p, { body: BODY, timestamp: NOW_S })
    const { payload, protectedHeader } = await jwtVerify(
      signed.headers['plaid-verification']!,
      await importJWK(T.jwk, 'ES256'),
      { currentDate: new Date(NOW) },
    )
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: T.kid, typ: 'JWT' })
    expect(payload).toEqual({ iat: NOW_S, request_body_sha256: sha256(BODY) })
    expect(await verifyCode(p, request(signed.headers['plaid-verification']!), NOW)).toBe('ok')
  })

  it('one event per transmission: a replay is a duplicate; a retry (new iat) or an identical notification is a new event', async () => {
    const { provider: p } = provider({ crypto })
    const receiver = testReceiver(p, NOW)
    const events: WebhookEvent[] = []
    const send = async (token: string) =>
      (await receiver.handle({ method: 'POST', ...request(token) }, { deliver: (e) => (events.push(e), true) })).outcome
        .kind
    const first = await joseToken(BODY)
    expect(await send(first)).toBe('accepted')
    expect(await send(first)).toBe('duplicate')
    expect(await send(await joseToken(BODY, { iat: NOW_S + 30 }))).toBe('accepted')
    expect(events.map((e) => e.id)).toEqual([`sha256:${sha256(BODY)}@${NOW_S}`, `sha256:${sha256(BODY)}@${NOW_S + 30}`])
  })

  it.each([
    ['300 s old', NOW_S - 300, 'ok'],
    ['301 s old', NOW_S - 301, 'timestamp.out_of_range'],
    ['300 s ahead', NOW_S + 300, 'ok'],
    ['301 s ahead', NOW_S + 301, 'timestamp.out_of_range'],
  ])('an iat %s: %s', async (_title, iat, code) => {
    expect(await verifyCode(provider({ crypto }).provider, request(await joseToken(BODY, { iat })), NOW)).toBe(code)
  })

  it('refuses a token signed by another key under the kid, and a body that does not match the hash', async () => {
    const { provider: p } = provider({ crypto })
    expect(await verifyCode(p, request(await joseToken(BODY, { key: T.otherPrivateKey })), NOW)).toBe(
      'signature.invalid',
    )
    expect(await verifyCode(p, request(await joseToken(BODY), BODY.replace('true', 'false')), NOW)).toBe(
      'signature.invalid',
    )
  })
})

describe('plaid: the algorithm never comes from the request', () => {
  const claims = { iat: NOW_S, request_body_sha256: sha256(BODY) }
  const unsigned = (header: object) => `${b64url(header)}.${b64url(claims)}`

  it.each([
    ['none', { alg: 'none', kid: T.kid, typ: 'JWT' }],
    ['ES384', { alg: 'ES384', kid: T.kid, typ: 'JWT' }],
    ['es256 in lower case', { alg: 'es256', kid: T.kid, typ: 'JWT' }],
    ['another typ', { alg: 'ES256', kid: T.kid, typ: 'JOSE+JSON' }],
    ['a critical extension', { alg: 'ES256', kid: T.kid, crit: ['b64'], b64: false }],
  ])('alg/typ/crit %s is a 401 before any key fetch', async (_title, header) => {
    const { provider: p, fetchKey } = provider()
    const token = `${unsigned(header)}.${Buffer.alloc(64, 1).toString('base64url')}`
    expect(await statusOf(p, request(token), NOW)).toEqual({ status: 401, code: 'signature.invalid' })
    expect(fetchKey.calls).toEqual([])
  })

  it('HS256 keyed with the public key (the classic confusion) is a 401', async () => {
    const { provider: p } = provider()
    const input = unsigned({ alg: 'HS256', kid: T.kid, typ: 'JWT' })
    const mac = createHmac('sha256', JSON.stringify(T.jwk)).update(input).digest('base64url')
    expect(await statusOf(p, request(`${input}.${mac}`), NOW)).toEqual({ status: 401, code: 'signature.invalid' })
  })
})

describe('plaid: malformed tokens', () => {
  const good = (async () => joseToken(BODY))()
  it.each([
    ['no header', async () => undefined, 401, 'signature.missing'],
    ['two parts', async () => (await good).split('.').slice(0, 2).join('.'), 400, 'signature.malformed'],
    ['four parts', async () => `${await good}.x`, 400, 'signature.malformed'],
    ['padded base64url', async () => (await good).replace('.', '=.'), 400, 'signature.malformed'],
    [
      'a 63-byte signature',
      async () => (await good).replace(/\.[^.]+$/, `.${Buffer.alloc(63).toString('base64url')}`),
      400,
      'signature.malformed',
    ],
    [
      'a header that is not JSON',
      async () => `${Buffer.from('{').toString('base64url')}.${(await good).split('.')[1]}.x`,
      400,
      'signature.malformed',
    ],
    ['a token of 5000 characters', async () => 'a'.repeat(5000), 400, 'signature.malformed'],
    [
      'no kid',
      async () =>
        `${b64url({ alg: 'ES256' })}.${b64url({ iat: NOW_S, request_body_sha256: sha256(BODY) })}.${Buffer.alloc(64).toString('base64url')}`,
      400,
      'signature.malformed',
    ],
    [
      'no iat',
      async () =>
        `${b64url({ alg: 'ES256', kid: T.kid })}.${b64url({ request_body_sha256: sha256(BODY) })}.${Buffer.alloc(64).toString('base64url')}`,
      401,
      'timestamp.missing',
    ],
    [
      'an iat string',
      async () =>
        `${b64url({ alg: 'ES256', kid: T.kid })}.${b64url({ iat: String(NOW_S), request_body_sha256: sha256(BODY) })}.${Buffer.alloc(64).toString('base64url')}`,
      400,
      'timestamp.malformed',
    ],
    [
      'an upper-case body hash',
      async () =>
        `${b64url({ alg: 'ES256', kid: T.kid })}.${b64url({ iat: NOW_S, request_body_sha256: sha256(BODY).toUpperCase() })}.${Buffer.alloc(64).toString('base64url')}`,
      400,
      'signature.malformed',
    ],
  ])('%s is refused', async (_title, make, status, code) => {
    const token = await make()
    const headers = token === undefined ? {} : { 'plaid-verification': token }
    expect(await statusOf(provider().provider, { headers, body: BODY }, NOW)).toEqual({ status, code })
  })

  it('the header twice is a 400', async () => {
    const token = await good
    expect(
      await statusOf(provider().provider, { headers: { 'plaid-verification': [token, token] }, body: BODY }, NOW),
    ).toEqual({
      status: 400,
      code: 'header.duplicated',
    })
  })
})

describe('plaid: fetching and caching keys', () => {
  it('fetches a key once for many deliveries, and concurrent first deliveries share that one fetch', async () => {
    const { provider: p, fetchKey } = provider()
    const tokens = await Promise.all([0, 1, 2, 3].map((i) => joseToken(BODY, { iat: NOW_S + i })))
    expect(await Promise.all(tokens.map((t) => verifyCode(p, request(t), NOW)))).toEqual(['ok', 'ok', 'ok', 'ok'])
    expect(fetchKey.calls).toHaveLength(1)
  })

  it('an unknown kid is a 401 and is asked again after a minute, not on every delivery', async () => {
    const { provider: p, fetchKey } = provider()
    const token = await joseToken(BODY, { kid: T.otherKid })
    expect(await statusOf(p, request(token), NOW)).toEqual({ status: 401, code: 'signature.invalid' })
    expect(await statusOf(p, request(token), NOW + 59_000)).toEqual({ status: 401, code: 'signature.invalid' })
    expect(fetchKey.calls).toHaveLength(1)
    expect(
      await verifyCode(p, request(await joseToken(BODY, { kid: T.otherKid, iat: NOW_S + 61 })), NOW + 61_000),
    ).toBe('signature.invalid')
    expect(fetchKey.calls).toHaveLength(2)
  })

  it('Plaid out of reach is a 503 that is not cached: the next delivery fetches again and passes', async () => {
    let failing = true
    const fetchKey = vi.fn(async (kid: string) => {
      if (failing) throw new Error('ECONNRESET')
      return kid === T.kid ? T.jwk : undefined
    })
    const p = plaid({ fetchKey })
    const token = await joseToken(BODY)
    expect(await statusOf(p, request(token), NOW)).toEqual({ status: 503, code: 'certificate.unavailable' })
    failing = false
    expect(await verifyCode(p, request(token), NOW)).toBe('ok')
    expect(fetchKey).toHaveBeenCalledTimes(2)
  })

  it.each([
    ['an expired key', { ...jwkOf(T.privateKey, T.kid, 1_690_000_000) }],
    ['a key for another kid', { ...T.jwk, kid: T.otherKid }],
    ['a P-384 key', { ...T.jwk, crv: 'P-384' }],
    ['an RSA key', { ...T.jwk, kty: 'RSA' }],
    ['an encryption key', { ...T.jwk, use: 'enc' }],
    ['a key with short coordinates', { ...T.jwk, x: T.jwk.x.slice(2) }],
  ])('%s is refused with a 401', async (_title, jwk) => {
    const p = plaid({ fetchKey: async () => jwk as PlaidJwk })
    expect(await statusOf(p, request(await joseToken(BODY)), NOW)).toEqual({ status: 401, code: 'signature.invalid' })
  })

  it('refetches after keyTtlMs (to learn of an expiry) and keeps at most cacheSize keys', async () => {
    const { provider: p, fetchKey } = provider({ keyTtlMs: 10_000, cacheSize: 1 })
    await verifyCode(p, request(await joseToken(BODY)), NOW)
    await verifyCode(p, request(await joseToken(BODY, { iat: NOW_S + 9 })), NOW + 9_000)
    expect(fetchKey.calls).toHaveLength(1)
    await verifyCode(p, request(await joseToken(BODY, { iat: NOW_S + 10 })), NOW + 10_000)
    expect(fetchKey.calls).toHaveLength(2)
    await verifyCode(p, request(PUBLISHED.jwt, PUBLISHED.body), PUBLISHED.iat * 1000)
    await verifyCode(p, request(await joseToken(BODY, { iat: NOW_S + 11 })), NOW + 11_000)
    expect(fetchKey.calls.map(([kid]) => kid)).toEqual([T.kid, T.kid, PUBLISHED.key.kid, T.kid])
  })

  it('hands the fetcher the pinned URL of the configured environment', async () => {
    const { provider: p, fetchKey } = provider({ environment: 'sandbox' })
    await verifyCode(p, request(await joseToken(BODY)), NOW)
    expect(fetchKey.calls).toEqual([[T.kid, 'https://sandbox.plaid.com/webhook_verification_key/get']])
  })
})

describe('plaid: the default fetcher (Plaid’s API, with global fetch stubbed: no network)', () => {
  afterEach(() => vi.unstubAllGlobals())

  function stubFetch(status: number, answer: object) {
    const calls: Array<[string, RequestInit]> = []
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([url, init])
      return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } })
    })
    return calls
  }
  const credentials = { clientId: '5e2b3f0c8a1d4e6f7a8b9c0d', secret: '0123456789abcdef0123456789abcd' }

  it('POSTs client_id, secret and key_id to the pinned production URL, without following redirects', async () => {
    const calls = stubFetch(200, { key: T.jwk, request_id: 'HvfCtrDLG1ihcp7' })
    expect(await verifyCode(plaid(credentials), request(await joseToken(BODY)), NOW)).toBe('ok')
    expect(calls).toHaveLength(1)
    const [url, init] = calls[0]!
    expect(url).toBe('https://production.plaid.com/webhook_verification_key/get')
    expect(init.method).toBe('POST')
    expect(init.redirect).toBe('error')
    expect(JSON.parse(init.body as string)).toEqual({
      client_id: credentials.clientId,
      secret: credentials.secret,
      key_id: T.kid,
    })
  })

  it.each([
    [
      'an unknown key id (400)',
      400,
      { error_code: 'INVALID_INPUT', error_type: 'INVALID_INPUT' },
      401,
      'signature.invalid',
    ],
    [
      'refused credentials (400 INVALID_API_KEYS)',
      400,
      { error_code: 'INVALID_API_KEYS' },
      503,
      'certificate.unavailable',
    ],
    ['a Plaid outage (500)', 500, { error_code: 'INTERNAL_SERVER_ERROR' }, 503, 'certificate.unavailable'],
  ])('maps %s (HTTP %i from Plaid)', async (_title, status, answer, expected, code) => {
    stubFetch(status, answer)
    const result = await statusOf(plaid(credentials), request(await joseToken(BODY)), NOW)
    expect(result).toEqual({ status: expected, code })
  })

  it('never puts the API secret in a response or an outcome', async () => {
    stubFetch(400, { error_code: 'INVALID_API_KEYS' })
    const result = await testReceiver(plaid(credentials), NOW).handle({
      method: 'POST',
      ...request(await joseToken(BODY)),
    })
    expect(JSON.stringify(result)).not.toContain(credentials.secret)
  })
})

describe('plaid: configuration', () => {
  const none = async (): Promise<undefined> => undefined
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['nothing', {}, /pass clientId and secret/],
    ['a clientId without a secret', { clientId: '5e2b3f0c8a1d4e6f7a8b9c0d' }, /secret must be a string/],
    ['a weak secret', { clientId: '5e2b3f0c8a1d4e6f7a8b9c0d', secret: 'secret' }, /placeholder/],
    [
      'fetchKey and credentials',
      {
        fetchKey: none,
        clientId: '5e2b3f0c8a1d4e6f7a8b9c0d',
        secret: '0123456789abcdef0123456789abcd',
      },
      /either fetchKey or clientId/,
    ],
    ['another environment', { fetchKey: none, environment: 'development' }, /environment must be/],
    ['a cacheSize of 0', { fetchKey: none, cacheSize: 0 }, /cacheSize must be/],
    ['a signing key that is not PKCS#8', { fetchKey: none, signing: { privateKey: 'x', kid: T.kid } }, /PKCS#8/],
    ['a negative tolerance', { fetchKey: none, tolerance: -1 }, /tolerance must be/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => plaid(options as never))).toMatch(message)
  })

  it('cannot sign without a signing key, and lists Plaid-Verification as sensitive', async () => {
    const p = plaid({ fetchKey: none })
    expect(p.sensitiveHeaders).toEqual(['plaid-verification'])
    expect(p.tolerance).toBe(300)
    await expect(signRequest(p, { body: BODY })).rejects.toThrow(/cannot sign/)
  })
})
