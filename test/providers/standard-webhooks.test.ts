import { Webhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { standardWebhooks, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import {
  BACKENDS,
  configMessage,
  handle,
  NOW_MS,
  NOW_S,
  statusOf,
  testReceiver,
  verify,
  verifyCode,
} from './core-support.js'

// The Standard Webhooks libraries' shared case (libraries/javascript/src/webhook.test.ts, "sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const SECRET = VECTOR.secret
const OTHER_SECRET = 'whsec_' + Buffer.from('another-32-byte-signing-key-1234').toString('base64')
const BODY = JSON.stringify({ type: 'invoice.paid', data: { amount: 4200, note: 'grüße 😀' } })

function vectorHeaders(prefix: 'webhook' | 'svix' = 'webhook'): Record<string, string> {
  return {
    [`${prefix}-id`]: VECTOR.id,
    [`${prefix}-timestamp`]: String(VECTOR.timestamp),
    [`${prefix}-signature`]: VECTOR.signature,
  }
}

/** Headers signed by the official library for `body` at `timestamp`. */
function sdkHeaders(body = BODY, timestamp = NOW_S, id = 'msg_sdk_1', secret = SECRET): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
  }
}

describe('standardWebhooks: published vectors', () => {
  const vectorNow = VECTOR.timestamp * 1000

  it('accepts the libraries’ shared vector and reports its id and timestamp', async () => {
    const provider = standardWebhooks({ secret: SECRET })
    expect(await verify(provider, { headers: vectorHeaders(), body: VECTOR.payload }, vectorNow)).toEqual({
      id: VECTOR.id,
      timestamp: VECTOR.timestamp,
    })
    expect((await statusOf(provider, { headers: vectorHeaders(), body: VECTOR.payload }, vectorNow)).status).toBe(200)
  })

  it('accepts the shared vector under the svix-* header names', async () => {
    const provider = standardWebhooks({ secret: SECRET })
    expect(await statusOf(provider, { headers: vectorHeaders('svix'), body: VECTOR.payload }, vectorNow)).toEqual({
      status: 200,
      code: 'accepted',
    })
  })

  it('signRequest reproduces the shared vector byte for byte', async () => {
    const provider = standardWebhooks({ secret: SECRET })
    const signed = await signRequest(provider, { body: VECTOR.payload, id: VECTOR.id, timestamp: VECTOR.timestamp })
    expect(signed.headers['webhook-signature']).toBe(VECTOR.signature)
  })

  it('accepts the key with or without the whsec_ prefix', async () => {
    const provider = standardWebhooks({ secret: SECRET.slice('whsec_'.length) })
    expect(await verifyCode(provider, { headers: vectorHeaders(), body: VECTOR.payload }, vectorNow)).toBe('ok')
  })

  it('accepts the libraries’ multi-signature header when one v1 entry matches and skips v2', async () => {
    const provider = standardWebhooks({ secret: SECRET })
    const junk = 'Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='
    const header = [`v1,${junk}`, `v2,${junk}`, VECTOR.signature, `v1,${junk}`].join(' ')
    expect(
      await verifyCode(
        provider,
        { headers: { ...vectorHeaders(), 'webhook-signature': header }, body: VECTOR.payload },
        vectorNow,
      ),
    ).toBe('ok')
  })

  it.each([
    ['an invalid signature', 'v1,dawfeoifkpqwoekfpqoekf'],
    ['a partial signature', VECTOR.signature.slice(0, 8)],
    ['an empty v1 entry', 'v1,'],
    ['the right bytes under an unknown version', VECTOR.signature.replace('v1,', 'v2,')],
  ])('rejects %s with 401', async (_title, signature) => {
    const provider = standardWebhooks({ secret: SECRET })
    const result = await statusOf(
      provider,
      { headers: { ...vectorHeaders(), 'webhook-signature': signature }, body: VECTOR.payload },
      vectorNow,
    )
    expect(result).toEqual({ status: 401, code: 'signature.invalid' })
  })

  it('rejects the shared vector with a one-byte change to the body', async () => {
    const provider = standardWebhooks({ secret: SECRET })
    expect(
      await verifyCode(
        provider,
        { headers: vectorHeaders(), body: VECTOR.payload.replace('2432232314', '2432232315') },
        vectorNow,
      ),
    ).toBe('signature.invalid')
  })
})

describe.each(BACKENDS)('standardWebhooks with %s', (_name, crypto) => {
  it('accepts a delivery signed by the standardwebhooks SDK and extracts id, type and timestamp', async () => {
    const provider = standardWebhooks({ secret: SECRET, crypto })
    let event: WebhookEvent | undefined
    const receiver = testReceiver(provider)
    const result = await receiver.handle(
      { method: 'POST', headers: sdkHeaders(), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({
      id: 'msg_sdk_1',
      type: 'invoice.paid',
      timestamp: NOW_S,
      provider: 'standard-webhooks',
    })
    expect(event?.headers['webhook-signature']).toBe('[redacted]')
  })

  it('accepts a delivery signed by the svix SDK with svix-* headers', async () => {
    const provider = standardWebhooks({ secret: SECRET, crypto })
    const signature = new SvixWebhook(SECRET).sign('msg_svix_1', new Date(NOW_MS), BODY)
    const headers = { 'svix-id': 'msg_svix_1', 'svix-timestamp': String(NOW_S), 'svix-signature': signature }
    expect(await verify(provider, { headers, body: BODY })).toEqual({ id: 'msg_svix_1', timestamp: NOW_S })
  })

  it('accepts the same SDK-signed delivery given as bytes, as a Fetch Headers object', async () => {
    const provider = standardWebhooks({ secret: SECRET, crypto })
    const headers = new Headers(sdkHeaders())
    expect(await statusOf(provider, { headers, body: new TextEncoder().encode(BODY) })).toEqual({
      status: 200,
      code: 'accepted',
    })
  })

  it('rotation: any secret of the list passes, none of them fails', async () => {
    const signedWithOther = sdkHeaders(BODY, NOW_S, 'msg_rot', OTHER_SECRET)
    expect(
      await verifyCode(standardWebhooks({ secret: [SECRET, OTHER_SECRET], crypto }), {
        headers: signedWithOther,
        body: BODY,
      }),
    ).toBe('ok')
    expect(
      await verifyCode(standardWebhooks({ secret: [OTHER_SECRET, SECRET], crypto }), {
        headers: signedWithOther,
        body: BODY,
      }),
    ).toBe('ok')
    expect(
      await verifyCode(standardWebhooks({ secret: SECRET, crypto }), { headers: signedWithOther, body: BODY }),
    ).toBe('signature.invalid')
  })

  it('accepts timestamps tolerance-1 s away in both directions and rejects tolerance+1 s', async () => {
    const provider = standardWebhooks({ secret: SECRET, crypto, tolerance: 60 })
    for (const [offset, expected] of [
      [-59, 200],
      [59, 200],
      [-61, 401],
      [61, 401],
    ] as const) {
      const result = await statusOf(provider, {
        headers: sdkHeaders(BODY, NOW_S + offset, `msg_${offset}`),
        body: BODY,
      })
      expect([offset, result.status]).toEqual([offset, expected])
      if (expected === 401) expect(result.code).toBe('timestamp.out_of_range')
    }
  })

  it('uses the default tolerance of 300 s', async () => {
    const provider = standardWebhooks({ secret: SECRET, crypto })
    expect(provider.tolerance).toBe(300)
    expect(await verifyCode(provider, { headers: sdkHeaders(BODY, NOW_S - 299), body: BODY })).toBe('ok')
    expect(await verifyCode(provider, { headers: sdkHeaders(BODY, NOW_S - 301), body: BODY })).toBe(
      'timestamp.out_of_range',
    )
    expect(await verifyCode(provider, { headers: sdkHeaders(BODY, NOW_S + 301), body: BODY })).toBe(
      'timestamp.out_of_range',
    )
  })

  it('skipTimestampCheck: true accepts a year-old delivery; without it the same delivery is refused', async () => {
    const old = sdkHeaders(BODY, NOW_S - 365 * 86400)
    const skipping = standardWebhooks({ secret: SECRET, crypto, skipTimestampCheck: true })
    expect(skipping.tolerance).toBeUndefined()
    expect(await verifyCode(skipping, { headers: old, body: BODY })).toBe('ok')
    expect(await verifyCode(standardWebhooks({ secret: SECRET, crypto }), { headers: old, body: BODY })).toBe(
      'timestamp.out_of_range',
    )
  })
})

describe('standardWebhooks: hookguard-signed deliveries pass the official SDKs', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW_MS)
  })
  afterAll(() => vi.useRealTimers())

  it.each(BACKENDS)('standardwebhooks and svix verify what signRequest produced (%s)', async (_name, crypto) => {
    const provider = standardWebhooks({ secret: SECRET, crypto })
    const signed = await signRequest(provider, { body: BODY, id: 'msg_hg_1', now: () => NOW_MS })
    expect(new Webhook(SECRET).verify(BODY, signed.headers)).toEqual(JSON.parse(BODY))
    expect(new SvixWebhook(SECRET).verify(BODY, signed.headers)).toEqual(JSON.parse(BODY))
    const svixNames = {
      'svix-id': signed.headers['webhook-id']!,
      'svix-timestamp': signed.headers['webhook-timestamp']!,
      'svix-signature': signed.headers['webhook-signature']!,
    }
    expect(new SvixWebhook(SECRET).verify(BODY, svixNames)).toEqual(JSON.parse(BODY))
  })

  // Each case: a header the SDK accepts, which hookguard refuses. The signature is a real one from the SDK.
  const sdkSigned = (timestampHeader: string, signedTimestamp = NOW_S) => ({
    'webhook-id': 'msg_lax',
    'webhook-timestamp': timestampHeader,
    'webhook-signature': new Webhook(SECRET).sign('msg_lax', new Date(signedTimestamp * 1000), BODY),
  })

  it.each([
    ['trailing letters', 400, 'timestamp.malformed', `${NOW_S}abc`],
    ['a plus sign', 400, 'timestamp.malformed', `+${NOW_S}`],
    ['a decimal part', 400, 'timestamp.malformed', `${NOW_S}.9`],
    ['a leading space', 400, 'timestamp.malformed', ` ${NOW_S}`],
    ['a trailing space', 400, 'timestamp.malformed', `${NOW_S} `],
    // Digits only, so it parses; but the signed text is then "0…", which nobody signed.
    ['a leading zero', 401, 'signature.invalid', `0${NOW_S}`],
  ])('SDK parseInt-accepts a timestamp with %s; hookguard answers %i %s', async (_title, status, code, timestamp) => {
    const headers = sdkSigned(timestamp)
    expect(() => new Webhook(SECRET).verify(BODY, headers)).not.toThrow()
    expect(await statusOf(standardWebhooks({ secret: SECRET }), { headers, body: BODY })).toEqual({ status, code })
  })

  it('SDK accepts a v1 entry with extra comma-separated junk; hookguard does not', async () => {
    const good = sdkHeaders(BODY, NOW_S, 'msg_junk')
    const headers = { ...good, 'webhook-signature': `${good['webhook-signature']},junk` }
    expect(() => new Webhook(SECRET).verify(BODY, headers)).not.toThrow()
    expect(await statusOf(standardWebhooks({ secret: SECRET }), { headers, body: BODY })).toEqual({
      status: 401,
      code: 'signature.invalid',
    })
  })

  it('svix SDK silently prefers svix-* over conflicting webhook-* values; hookguard answers 400 header.conflict', async () => {
    const good = sdkHeaders(BODY, NOW_S, 'msg_real')
    const headers: Record<string, string> = {
      'svix-id': 'msg_real',
      'svix-timestamp': good['webhook-timestamp']!,
      'svix-signature': good['webhook-signature']!,
      'webhook-id': 'msg_other',
      'webhook-timestamp': good['webhook-timestamp']!,
      'webhook-signature': good['webhook-signature']!,
    }
    expect(() => new SvixWebhook(SECRET).verify(BODY, headers)).not.toThrow()
    expect(await statusOf(standardWebhooks({ secret: SECRET }), { headers, body: BODY })).toEqual({
      status: 400,
      code: 'header.conflict',
    })
  })
})

describe('standardWebhooks: configuration', () => {
  const shortKey = 'whsec_' + Buffer.from('only-8-b').toString('base64')
  it.each([
    ['an empty string', ''],
    ['whitespace only', '   '],
    ['a leading space', ` ${SECRET}`],
    ['a trailing newline', `${SECRET}\n`],
    ['a placeholder', 'changeme'],
    ['a repeated character', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a key under 16 bytes', shortKey],
    ['text that is not base64', 'whsec_not base64 at all!!'],
    ['an empty list', []],
    ['a list with an empty entry', [SECRET, '']],
    ['a number', 1234567890123456],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s as the secret with a TypeError that does not echo it', (_title, secret) => {
    const message = configMessage(() => standardWebhooks({ secret: secret as never }))
    expect(message).toMatch(/^hookguard: standard-webhooks: .*secret/)
    if (typeof secret === 'string' && secret.trim() !== '') expect(message).not.toContain(secret.trim())
    expect(message).not.toContain(SECRET.slice(6))
  })

  it.each([
    ['0', 0],
    ['a negative number', -5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '300'],
  ])('refuses a tolerance of %s and names the skipTimestampCheck option', (_title, tolerance) => {
    expect(configMessage(() => standardWebhooks({ secret: SECRET, tolerance: tolerance as never }))).toMatch(
      /tolerance.*skipTimestampCheck/s,
    )
  })

  it('refuses tolerance together with skipTimestampCheck, and a non-boolean skipTimestampCheck', () => {
    expect(configMessage(() => standardWebhooks({ secret: SECRET, tolerance: 60, skipTimestampCheck: true }))).toMatch(
      /either tolerance or skipTimestampCheck/,
    )
    expect(configMessage(() => standardWebhooks({ secret: SECRET, skipTimestampCheck: 'yes' as never }))).toMatch(
      /skipTimestampCheck must be a boolean/,
    )
  })
})

describe('standardWebhooks: header parsing', () => {
  const provider = standardWebhooks({ secret: SECRET })
  const good = sdkHeaders(BODY, NOW_S, 'msg_parse')

  it('accepts webhook-* and svix-* carrying equal values', async () => {
    const headers = {
      ...good,
      'svix-id': good['webhook-id'],
      'svix-timestamp': good['webhook-timestamp'],
      'svix-signature': good['webhook-signature'],
    }
    expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status: 200, code: 'accepted' })
  })

  it.each(['id', 'timestamp', 'signature'])(
    'answers 400 header.conflict when webhook-%s and svix-… differ',
    async (suffix) => {
      const other =
        suffix === 'timestamp'
          ? String(NOW_S + 1)
          : suffix === 'id'
            ? 'msg_other'
            : `v1,${Buffer.alloc(32, 7).toString('base64')}`
      const headers = { ...good, [`svix-${suffix}`]: other }
      expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status: 400, code: 'header.conflict' })
    },
  )

  const many = Array.from({ length: 5000 }, () => `v1,${Buffer.alloc(32, 1).toString('base64')}`).join(' ')
  const cases: Array<[string, number, string, Record<string, string | string[]>]> = [
    [
      'no signature header',
      401,
      'signature.missing',
      { 'webhook-id': 'msg_parse', 'webhook-timestamp': String(NOW_S) },
    ],
    ['an empty signature', 401, 'signature.missing', { ...good, 'webhook-signature': '' }],
    ['a blank signature', 401, 'signature.missing', { ...good, 'webhook-signature': '   ' }],
    [
      'no id',
      400,
      'id.missing',
      { 'webhook-timestamp': good['webhook-timestamp']!, 'webhook-signature': good['webhook-signature']! },
    ],
    ['an id over 1 KiB', 400, 'header.malformed', { ...good, 'webhook-id': 'm'.repeat(2000) }],
    [
      'no timestamp',
      401,
      'timestamp.missing',
      { 'webhook-id': 'msg_parse', 'webhook-signature': good['webhook-signature']! },
    ],
    [
      'a signature without a version',
      400,
      'signature.malformed',
      { ...good, 'webhook-signature': good['webhook-signature']!.slice(3) },
    ],
    [
      'a truncated signature',
      401,
      'signature.invalid',
      { ...good, 'webhook-signature': good['webhook-signature']!.slice(0, 20) },
    ],
    ['a 100 KB signature', 401, 'signature.invalid', { ...good, 'webhook-signature': 'v1,' + 'A'.repeat(100_000) }],
    [
      'a base64url signature',
      401,
      'signature.invalid',
      {
        ...good,
        'webhook-signature':
          good['webhook-signature']!.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') + '-_',
      },
    ],
    [
      'multibyte characters in the signature',
      401,
      'signature.invalid',
      { ...good, 'webhook-signature': 'v1,ü€😀ü€😀' },
    ],
    ['5000 signature entries', 400, 'signature.malformed', { ...good, 'webhook-signature': many }],
    [
      'a duplicated signature (array value)',
      400,
      'header.duplicated',
      { ...good, 'webhook-signature': [good['webhook-signature']!, good['webhook-signature']!] },
    ],
    ['a duplicated id (two spellings)', 400, 'header.duplicated', { ...good, 'Webhook-Id': 'msg_parse' }],
    ['a timestamp with letters', 400, 'timestamp.malformed', { ...good, 'webhook-timestamp': 'abc' }],
    ['a negative timestamp', 400, 'timestamp.malformed', { ...good, 'webhook-timestamp': `-${NOW_S}` }],
    ['a timestamp in milliseconds', 400, 'timestamp.malformed', { ...good, 'webhook-timestamp': String(NOW_MS) }],
    ['a timestamp with an exponent', 400, 'timestamp.malformed', { ...good, 'webhook-timestamp': '1.7e9' }],
    ['a timestamp in Arabic-Indic digits', 400, 'timestamp.malformed', { ...good, 'webhook-timestamp': '١٧٠٠٠٠٠٠٠٠' }],
    ['an empty timestamp', 401, 'timestamp.missing', { ...good, 'webhook-timestamp': '' }],
    ['a far-future timestamp', 401, 'timestamp.out_of_range', { ...good, 'webhook-timestamp': '999999999999' }],
    ['timestamp 0', 401, 'timestamp.out_of_range', { ...good, 'webhook-timestamp': '0' }],
  ]
  it.each(cases)('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status, code })
  })

  it('never lets a parser failure escape verify as anything but a HookguardError', async () => {
    for (const [, , , headers] of cases)
      await expect(verifyCode(provider, { headers, body: BODY })).resolves.toBeTypeOf('string')
  })

  it('keeps the response body generic: no signature, no secret, the same text for every 401', async () => {
    const results = await Promise.all(
      cases.filter((c) => c[1] === 401).map(([, , , headers]) => handle(provider, { headers, body: BODY })),
    )
    for (const result of results) {
      expect(result.body).toBe(results[0]!.body)
      expect(result.body).not.toContain(good['webhook-signature']!.slice(3))
      expect(result.body).not.toContain(SECRET.slice(6))
    }
  })
})
