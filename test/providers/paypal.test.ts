import { createSign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createReceiver, paypal, type PayPalOptions, type QueuedEvent, type WebhookQueue } from '../../src/index.js'
import { crc32, nodeCryptoBackend, webCryptoBackend } from '../../src/crypto.js'
import { parseRfc3339 } from '../../src/providers/kit/timestamp.js'
import { allowedCertificateUrl } from '../../src/providers/kit/paypal-certificates.js'
import { signRequest } from '../../src/testing.js'
import { PAYPAL_TEST as T, servingFetcher } from '../fixtures/paypal/index.js'

const NOW = T.now
const EVENT = JSON.stringify({
  id: 'WH-2WR32451HC0233532-67976317FL4543714',
  event_version: '1.0',
  create_time: '2027-01-01T00:00:00.000Z',
  resource_type: 'capture',
  event_type: 'PAYMENT.CAPTURE.COMPLETED',
  resource: { id: '42311647XV020574X', status: 'COMPLETED' },
})
const CHAIN = T.leaf + T.intermediate

function recordingQueue(): WebhookQueue & { events: QueuedEvent[] } {
  const events: QueuedEvent[] = []
  return { events, enqueue: async (event) => void events.push(event) }
}

/** Signs exactly as PayPal documents it, with node:crypto (independent of hookguard's signer). */
function paypalSign(
  body: string,
  over: Partial<Record<'id' | 'time' | 'webhookId' | 'certUrl' | 'algo', string>> = {},
): Record<string, string> {
  const id = over.id ?? 'b2384410-f8d2-11e6-8d3e-1d7d0a0c4b11'
  const time = over.time ?? new Date(NOW).toISOString()
  const signer = createSign('RSA-SHA256')
  signer.update(`${id}|${time}|${over.webhookId ?? T.webhookId}|${crc32(Buffer.from(body))}`)
  return {
    'paypal-transmission-id': id,
    'paypal-transmission-time': time,
    'paypal-transmission-sig': signer.sign(T.leafKey, 'base64'),
    'paypal-cert-url': over.certUrl ?? T.certUrl,
    'paypal-auth-algo': over.algo ?? 'SHA256withRSA',
    'content-type': 'application/json',
  }
}

const backends = [
  ['node', nodeCryptoBackend()!],
  ['web', webCryptoBackend()],
] as const

describe('crc32 and RFC 3339 parsing', () => {
  it('crc32 gives the standard check value and an unsigned number', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array())).toBe(0)
    // A CRC with the top bit set stays positive (PayPal signs the unsigned decimal).
    expect(crc32(new TextEncoder().encode('a'))).toBe(3904355907)
  })

  it.each([
    ['2016-02-18T20:01:35Z', Date.UTC(2016, 1, 18, 20, 1, 35) / 1000],
    ['2016-02-18T20:01:35.123Z', Date.UTC(2016, 1, 18, 20, 1, 35) / 1000 + 0.123],
    ['2016-02-18T21:01:35+01:00', Date.UTC(2016, 1, 18, 20, 1, 35) / 1000],
  ])('parses %s', (text, seconds) => {
    expect(parseRfc3339(text)).toBeCloseTo(seconds, 6)
  })

  it.each([
    '2016-02-30T20:01:35Z',
    '2016-02-18 20:01:35Z',
    '2016-02-18T24:00:00Z',
    '2016-02-18T20:01:35',
    '1455825695',
    ' 2016-02-18T20:01:35Z',
  ])('refuses %j', (text) => {
    expect(parseRfc3339(text)).toBeUndefined()
  })
})

describe('allowedCertificateUrl()', () => {
  const hosts = ['api.paypal.com', 'api-m.paypal.com']
  it.each([T.certUrl, 'https://api-m.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-5edc0ebc'])(
    'allows %s',
    (url) => {
      expect(allowedCertificateUrl(url, hosts)).toBe(url)
    },
  )

  it.each([
    ['plain http', 'http://api.paypal.com/v1/notifications/certs/CERT-1'],
    ['a lookalike suffix', 'https://api.paypal.com.evil.com/v1/notifications/certs/CERT-1'],
    ['a lookalike prefix', 'https://evilapi.paypal.com/v1/notifications/certs/CERT-1'],
    ['another paypal host', 'https://www.paypal.com/v1/notifications/certs/CERT-1'],
    ['the sandbox host on a live receiver', 'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1'],
    ['userinfo', 'https://api.paypal.com@evil.com/v1/notifications/certs/CERT-1'],
    ['userinfo before the real host', 'https://evil.com@api.paypal.com/v1/notifications/certs/CERT-1'],
    ['a non-443 port', 'https://api.paypal.com:8443/v1/notifications/certs/CERT-1'],
    ['an explicit :443', 'https://api.paypal.com:443/v1/notifications/certs/CERT-1'],
    ['a trailing dot', 'https://api.paypal.com./v1/notifications/certs/CERT-1'],
    ['upper case host', 'https://API.paypal.com/v1/notifications/certs/CERT-1'],
    ['a query', 'https://api.paypal.com/v1/notifications/certs/CERT-1?x=1'],
    ['a fragment', 'https://api.paypal.com/v1/notifications/certs/CERT-1#x'],
    ['another path', 'https://api.paypal.com/v1/oauth2/token'],
    ['path traversal', 'https://api.paypal.com/v1/notifications/certs/../../oauth2/token'],
    ['an encoded slash', 'https://api.paypal.com/v1/notifications/certs/a%2F..%2Fb'],
    ['a backslash', 'https:\\\\api.paypal.com/v1/notifications/certs/CERT-1'],
    ['an IP address', 'https://151.101.1.21/v1/notifications/certs/CERT-1'],
    ['whitespace', ' https://api.paypal.com/v1/notifications/certs/CERT-1'],
    ['a punycode lookalike', 'https://api.paypa1.com/v1/notifications/certs/CERT-1'],
  ])('refuses %s', (_title, url) => {
    expect(allowedCertificateUrl(url, hosts)).toBeUndefined()
  })
})

describe.each(backends)('paypal() with the %s crypto backend', (_label, crypto) => {
  const make = (extra: Partial<PayPalOptions> = {}) =>
    paypal({
      webhookId: T.webhookId,
      fetchCertificate: servingFetcher({ [T.certUrl]: CHAIN }),
      trustedRoots: [T.root],
      signing: { privateKey: T.leafKey, certUrl: T.certUrl },
      crypto,
      ...extra,
    })
  const handle = async (
    provider: ReturnType<typeof paypal>,
    headers: Record<string, string | string[]>,
    body = EVENT,
    now = NOW,
  ) => {
    const queue = recordingQueue()
    const result = await createReceiver({ provider, queue, now: () => now }).handle({ method: 'POST', headers, body })
    return { result, queue }
  }

  it('accepts a delivery signed as PayPal documents it; id and type come from the event body', async () => {
    const { result, queue } = await handle(make(), paypalSign(EVENT))
    expect(result.status).toBe(200)
    expect(queue.events[0]).toMatchObject({
      id: 'WH-2WR32451HC0233532-67976317FL4543714',
      type: 'PAYMENT.CAPTURE.COMPLETED',
      provider: 'paypal',
      timestamp: NOW / 1000,
    })
    expect(queue.events[0]!.headers['paypal-transmission-sig']).toBe('[redacted]')
  })

  it('hookguard/testing signs deliveries the provider accepts, and node:crypto verifies them independently', async () => {
    const provider = make()
    const signed = await signRequest(provider, { body: EVENT, timestamp: NOW / 1000 })
    expect((await handle(provider, signed.headers)).result.status).toBe(200)
    const { createVerify, X509Certificate } = await import('node:crypto')
    const h = signed.headers
    const verifier = createVerify('RSA-SHA256').update(
      `${h['paypal-transmission-id']}|${h['paypal-transmission-time']}|${T.webhookId}|${crc32(Buffer.from(EVENT))}`,
    )
    expect(verifier.verify(new X509Certificate(T.leaf).publicKey, h['paypal-transmission-sig']!, 'base64')).toBe(true)
  })

  it('a retry (new transmission id, same event) is a duplicate, not a second event', async () => {
    const queue = recordingQueue()
    const receiver = createReceiver({ provider: make(), queue, now: () => NOW })
    const first = await receiver.handle({
      method: 'POST',
      headers: paypalSign(EVENT, { id: 'attempt-1' }),
      body: EVENT,
    })
    const second = await receiver.handle({
      method: 'POST',
      headers: paypalSign(EVENT, { id: 'attempt-2' }),
      body: EVENT,
    })
    expect([first.outcome.kind, second.outcome.kind]).toEqual(['accepted', 'duplicate'])
    expect(queue.events).toHaveLength(1)
  })

  it('fetches each certificate once, and concurrent first deliveries share one fetch', async () => {
    const fetcher = servingFetcher({ [T.certUrl]: CHAIN })
    const provider = make({ fetchCertificate: fetcher })
    const receiver = createReceiver({ provider, queue: recordingQueue(), now: () => NOW })
    const bodies = Array.from({ length: 5 }, (_, i) => EVENT.replace('67976317FL4543714', `6797631${i}`))
    const results = await Promise.all(
      bodies.map((body) => receiver.handle({ method: 'POST', headers: paypalSign(body), body })),
    )
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    await receiver.handle({
      method: 'POST',
      headers: paypalSign(bodies[0]!.replace('WH-', 'WH-X')),
      body: bodies[0]!.replace('WH-', 'WH-X'),
    })
    expect(fetcher.calls).toEqual([T.certUrl])
  })

  it('keeps at most cacheSize certificates and refetches an evicted one', async () => {
    const urls = [1, 2, 3].map((n) => T.certUrl.replace('hookguard', `hookguard${n}`))
    const fetcher = servingFetcher(Object.fromEntries(urls.map((u) => [u, CHAIN])))
    const provider = make({ fetchCertificate: fetcher, cacheSize: 2 })
    for (const url of [...urls, urls[2]!, urls[0]!]) {
      expect((await handle(provider, paypalSign(EVENT, { certUrl: url }))).result.status).toBe(200)
    }
    // urls[2] was still cached; urls[0] had been evicted by urls[2].
    expect(fetcher.calls).toEqual([urls[0], urls[1], urls[2], urls[0]])
  })

  it('a failed fetch is a 503 (PayPal retries), is not cached, and the next delivery fetches again', async () => {
    let fail = true
    const calls: string[] = []
    const provider = make({
      fetchCertificate: async (url) => {
        calls.push(url)
        if (fail) throw new Error('ECONNRESET')
        return CHAIN
      },
    })
    const first = await handle(provider, paypalSign(EVENT))
    expect(first.result.status).toBe(503)
    expect(first.result.headers['retry-after']).toBeDefined()
    expect(first.queue.events).toHaveLength(0)
    fail = false
    expect((await handle(provider, paypalSign(EVENT))).result.status).toBe(200)
    expect(calls).toHaveLength(2)
  })

  it('a certificate PayPal does not have (404) is a 401 and is not cached', async () => {
    const fetcher = servingFetcher({})
    const provider = make({ fetchCertificate: fetcher })
    const first = await handle(provider, paypalSign(EVENT))
    expect(first.result.status).toBe(401)
    expect(first.queue.events).toHaveLength(0)
    expect((await handle(provider, paypalSign(EVENT))).result.status).toBe(401)
    expect(fetcher.calls).toHaveLength(2)
  })

  it('never fetches a URL outside PayPal’s certificate hosts', async () => {
    const fetcher = servingFetcher({})
    const provider = make({ fetchCertificate: fetcher })
    for (const certUrl of [
      'https://api.paypal.com.evil.com/v1/notifications/certs/CERT-1',
      'https://evil.com/cert.pem',
      'https://api.paypal.com@evil.com/v1/notifications/certs/CERT-1',
    ]) {
      const { result } = await handle(provider, paypalSign(EVENT, { certUrl }))
      expect(result.status).toBe(401)
    }
    expect(fetcher.calls).toEqual([])
  })

  it('never takes the algorithm from the request: anything but SHA256withRSA is refused before fetching', async () => {
    const fetcher = servingFetcher({ [T.certUrl]: CHAIN })
    const provider = make({ fetchCertificate: fetcher })
    for (const algo of ['SHA1withRSA', 'sha256withrsa', 'SHA256withECDSA', 'none']) {
      expect((await handle(provider, paypalSign(EVENT, { algo }))).result.status).toBe(401)
    }
    expect(fetcher.calls).toEqual([])
  })

  it('rejects a changed body, a different webhook id, a changed transmission id', async () => {
    const provider = make()
    expect((await handle(provider, paypalSign(EVENT), EVENT.replace('COMPLETED', 'DENIED'))).result.status).toBe(401)
    expect((await handle(provider, paypalSign(EVENT, { webhookId: 'OTHERWEBHOOK1' }))).result.status).toBe(401)
    const headers = paypalSign(EVENT)
    expect(
      (await handle(provider, { ...headers, 'paypal-transmission-id': 'b2384410-f8d2-11e6-8d3e-1d7d0a0c4b12' })).result
        .status,
    ).toBe(401)
  })

  it('rejects stale and future transmission times (tolerance 300 s both ways)', async () => {
    const provider = make()
    for (const [offset, status] of [
      [-301, 401],
      [301, 401],
      [-299, 200],
      [299, 200],
    ] as const) {
      const body = EVENT.replace('WH-', `WH-${offset + 1000}-`)
      const { result } = await handle(
        provider,
        paypalSign(body, { time: new Date(NOW + offset * 1000).toISOString() }),
        body,
      )
      expect([offset, result.status]).toEqual([offset, status])
    }
  })

  it.each([
    ['a self-signed certificate in PayPal’s name', T.selfSignedLeaf, /does not reach a trusted root|chain/],
    ['a certificate for another name', T.wrongCnLeaf + T.intermediate, /not issued to/],
    ['an expired certificate', T.expiredLeaf + T.intermediate, /validity/],
    ['a certificate issued by a non-CA', T.nonCaIssuedLeaf + T.leaf + T.intermediate, /issuer is not a CA/],
    ['a chain without its intermediate', T.leaf, /trusted root/],
    ['something that is not PEM', 'hello', /readable PEM/],
    ['a truncated certificate', T.leaf.slice(0, 400) + '\n-----END CERTIFICATE-----\n', /readable PEM/],
  ])('refuses %s', async (_title, served, reason) => {
    const provider = make({ fetchCertificate: servingFetcher({ [T.certUrl]: served }) })
    const { result, queue } = await handle(provider, paypalSign(EVENT))
    expect(result.status).toBe(401)
    expect(result.outcome).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(reason) })
    expect(queue.events).toHaveLength(0)
  })

  it('refuses a certificate not yet valid at the receiver’s clock', async () => {
    const early = Date.UTC(2019, 6, 1)
    const { result } = await handle(make(), paypalSign(EVENT, { time: new Date(early).toISOString() }), EVENT, early)
    expect(result.status).toBe(401)
    expect(result.outcome).toMatchObject({ reason: expect.stringMatching(/validity/) })
  })

  it('sandbox: accepts sandbox hosts and the sandbox certificate name, and refuses the live ones', async () => {
    const sandbox = make({
      environment: 'sandbox',
      fetchCertificate: servingFetcher({ [T.sandboxCertUrl]: T.sandboxLeaf + T.intermediate, [T.certUrl]: CHAIN }),
      signing: undefined,
    })
    expect((await handle(sandbox, paypalSign(EVENT, { certUrl: T.sandboxCertUrl }))).result.status).toBe(200)
    expect((await handle(sandbox, paypalSign(EVENT, { certUrl: T.certUrl }))).result.status).toBe(401)
    // A live receiver refuses the sandbox certificate even when served from a live URL.
    const live = make({ fetchCertificate: servingFetcher({ [T.certUrl]: T.sandboxLeaf + T.intermediate }) })
    expect((await handle(live, paypalSign(EVENT))).result.status).toBe(401)
  })

  it.each([
    ['missing signature', 401, (h: Record<string, string>) => ({ ...h, 'paypal-transmission-sig': '' })],
    ['missing transmission id', 401, ({ 'paypal-transmission-id': _, ...h }: Record<string, string>) => h],
    ['missing cert url', 401, ({ 'paypal-cert-url': _, ...h }: Record<string, string>) => h],
    ['missing auth algo', 401, ({ 'paypal-auth-algo': _, ...h }: Record<string, string>) => h],
    [
      'time as epoch seconds',
      400,
      (h: Record<string, string>) => ({ ...h, 'paypal-transmission-time': String(NOW / 1000) }),
    ],
    [
      'signature not base64',
      400,
      (h: Record<string, string>) => ({
        ...h,
        'paypal-transmission-sig': '%%%' + h['paypal-transmission-sig']!.slice(3),
      }),
    ],
    [
      'signature too short',
      400,
      (h: Record<string, string>) => ({ ...h, 'paypal-transmission-sig': Buffer.alloc(64, 1).toString('base64') }),
    ],
    ['transmission id with a pipe', 400, (h: Record<string, string>) => ({ ...h, 'paypal-transmission-id': 'a|b' })],
  ])('%s → %i', async (_title, status, edit) => {
    const { result } = await handle(make(), edit(paypalSign(EVENT)))
    expect(result.status).toBe(status)
  })

  it('refuses a duplicated signature header', async () => {
    const headers = paypalSign(EVENT)
    const { result } = await handle(make(), {
      ...headers,
      'paypal-transmission-sig': [headers['paypal-transmission-sig']!, headers['paypal-transmission-sig']!],
    })
    expect(result.status).toBe(400)
  })

  it('with the runtime root store (the default), the self-made chain is refused', async () => {
    const provider = paypal({
      webhookId: T.webhookId,
      fetchCertificate: servingFetcher({ [T.certUrl]: CHAIN }),
      crypto,
    })
    const { result } = await handle(provider, paypalSign(EVENT))
    expect(result.status).toBe(401)
    expect(result.outcome).toMatchObject({ reason: expect.stringMatching(/trusted root/) })
  })

  it('trustedRoots: false relies on the host allowlist: the self-made chain then passes', async () => {
    const provider = make({ trustedRoots: false, fetchCertificate: servingFetcher({ [T.certUrl]: T.selfSignedLeaf }) })
    expect((await handle(provider, paypalSign(EVENT))).result.status).toBe(200)
  })

  it('an event without an id is a 400 after verification (no transmission-id fallback, which would defeat dedupe)', async () => {
    const body = JSON.stringify({ event_type: 'PAYMENT.CAPTURE.COMPLETED' })
    const { result, queue } = await handle(make(), paypalSign(body), body)
    expect(result.status).toBe(400)
    expect(queue.events).toHaveLength(0)
  })
})

describe('paypal() configuration', () => {
  it.each([
    ['no webhookId', {}, /webhookId must be/],
    ['a webhookId with punctuation', { webhookId: 'abc-123' }, /webhookId must be/],
    ['an unknown environment', { webhookId: 'ABC', environment: 'prod' }, /environment must be/],
    ['a zero cacheSize', { webhookId: 'ABC', cacheSize: 0 }, /cacheSize/],
    ['trustedRoots without a certificate', { webhookId: 'ABC', trustedRoots: ['nope'] }, /no readable PEM/],
    [
      'a signing key that is not PKCS#8 PEM',
      { webhookId: 'ABC', signing: { privateKey: 'abc', certUrl: T.certUrl } },
      /PKCS#8/,
    ],
    [
      'a signing certUrl off PayPal’s hosts',
      { webhookId: 'ABC', signing: { privateKey: T.leafKey, certUrl: 'https://evil.com/c' } },
      /certUrl must be/,
    ],
    ['a tolerance of 0', { webhookId: 'ABC', tolerance: 0 }, /tolerance/],
  ])('refuses %s with a TypeError', (_title, options, message) => {
    expect(() => paypal(options as never)).toThrow(TypeError)
    expect(() => paypal(options as never)).toThrow(message)
  })

  it('lists the signature header as sensitive and cannot sign without a signing key', async () => {
    const provider = paypal({ webhookId: 'ABC' })
    expect(provider.sensitiveHeaders).toContain('paypal-transmission-sig')
    await expect(signRequest(provider, { body: EVENT })).rejects.toThrow(/cannot sign/)
  })
})
