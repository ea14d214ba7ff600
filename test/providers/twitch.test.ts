import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { twitch } from '../../src/index.js'
import { parseRfc3339 } from '../../src/providers/kit/timestamp.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, NOW_S } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = 's3cRe7-eventsub-0123456789'
const OTHER = 'another-eventsub-secret-42'
const ID = 'befa7b53-d79d-478f-86b9-120f112b044e'
// 2023-11-14T22:13:20Z is NOW_S; Twitch sends nanosecond fractions.
const STAMP = '2023-11-14T22:13:20.634234626Z'
const SUBSCRIPTION = {
  id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4',
  status: 'enabled',
  type: 'channel.follow',
  version: '2',
  condition: { broadcaster_user_id: '12826' },
}
const NOTIFICATION = JSON.stringify({
  subscription: SUBSCRIPTION,
  event: { user_id: '1337', user_name: 'ćool_user', broadcaster_user_id: '12826' },
})

function headers(body: string, type = 'notification', stamp = STAMP, secret = SECRET, id = ID): Record<string, string> {
  return {
    'content-type': 'application/json',
    'twitch-eventsub-message-id': id,
    'twitch-eventsub-message-retry': '0',
    'twitch-eventsub-message-type': type,
    'twitch-eventsub-message-timestamp': stamp,
    'twitch-eventsub-subscription-type': 'channel.follow',
    'twitch-eventsub-subscription-version': '2',
    'twitch-eventsub-message-signature': `sha256=${createHmac('sha256', secret)
      .update(id + stamp + body)
      .digest('hex')}`,
  }
}

describe('twitch: RFC 3339 timestamps', () => {
  it.each([
    ['2023-11-14T22:13:20Z', NOW_S],
    ['2023-11-14T22:13:20.5Z', NOW_S + 0.5],
    [STAMP, NOW_S + 0.634234626],
    ['2023-11-15T00:13:20+02:00', NOW_S],
    ['2023-11-14T21:13:20.000-01:00', NOW_S],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29) / 1000],
  ])('parses %s', (text, seconds) => {
    expect(parseRfc3339(text)).toBeCloseTo(seconds, 6)
  })

  it('agrees with Date for every millisecond instant from 1970-01-02 to 2100, in Z and offset forms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 86_400_000, max: 4_102_444_800_000 }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offset) => {
          expect(parseRfc3339(new Date(ms).toISOString())).toBeCloseTo(ms / 1000, 6)
          const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1)
          const sign = offset < 0 ? '-' : '+'
          const abs = Math.abs(offset)
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
          expect(parseRfc3339(local + zone)).toBeCloseTo(ms / 1000, 6)
        },
      ),
      { numRuns: 200 },
    )
  })

  it.each([
    '2023-11-14 22:13:20Z',
    '2023-11-14T22:13:20',
    '2023-11-14T22:13:20.1234567890Z',
    '2023-11-14T22:13:20.Z',
    '2023-02-29T00:00:00Z',
    '2023-13-01T00:00:00Z',
    '2023-11-14T24:00:00Z',
    '2023-11-14T22:13:60Z',
    '2023-11-14T22:13:20+0200',
    ' 2023-11-14T22:13:20Z',
    '1700000000',
    '+2023-11-14T22:13:20Z',
  ])('refuses %j', (text) => {
    expect(parseRfc3339(text)).toBeUndefined()
  })
})

describe.each(BACKENDS)('twitch with %s', (_n, crypto) => {
  const provider = (extra = {}) => twitch({ secret: SECRET, crypto, ...extra })

  it('accepts a notification: id from the message id, type from subscription.type', async () => {
    const r = await runOne(provider(), { headers: headers(NOTIFICATION), body: NOTIFICATION })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: ID, type: 'channel.follow', timestamp: NOW_S, provider: 'twitch' })
    expect(r.enqueued[0]!.headers['twitch-eventsub-message-signature']).toBe('[redacted]')
  })

  it('answers webhook_callback_verification with the raw challenge as text/plain, verified first, never enqueued', async () => {
    const body = JSON.stringify({
      challenge: 'pogchamp-kappa-360noscope-vohiyo',
      subscription: { ...SUBSCRIPTION, status: 'webhook_callback_verification_pending' },
    })
    const r = await runOne(provider(), { headers: headers(body, 'webhook_callback_verification'), body })
    expect([r.result.status, r.result.body, r.code]).toEqual([200, 'pogchamp-kappa-360noscope-vohiyo', 'handshake'])
    expect(r.result.headers['content-type']).toMatch(/^text\/plain/)
    expect(r.enqueued).toHaveLength(0)
    const forged = await runOne(provider(), {
      headers: headers(body, 'webhook_callback_verification', STAMP, OTHER),
      body,
    })
    expect(forged.result.status).toBe(401)
    expect(forged.result.body).not.toContain('pogchamp')
  })

  it('surfaces a revocation as an event of type revocation', async () => {
    const body = JSON.stringify({ subscription: { ...SUBSCRIPTION, status: 'authorization_revoked' } })
    const r = await runOne(provider(), { headers: headers(body, 'revocation'), body })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: ID, type: 'revocation' })
  })

  it('refuses an unknown or missing message type after verifying', async () => {
    expect((await runOne(provider(), { headers: headers(NOTIFICATION, 'party'), body: NOTIFICATION })).code).toBe(
      'header.malformed',
    )
    const h = headers(NOTIFICATION)
    delete h['twitch-eventsub-message-type']
    expect((await runOne(provider(), { headers: h, body: NOTIFICATION })).result.status).toBe(400)
  })

  it('checks the timestamp both ways with a 10-minute default', async () => {
    const at = (offset: number) => new Date(NOW_MS + offset * 1000).toISOString()
    for (const [offset, code] of [
      [-601, 'timestamp.out_of_range'],
      [601, 'timestamp.out_of_range'],
      [-599, 'accepted'],
      [599, 'accepted'],
    ] as const) {
      expect(
        (await runOne(provider(), { headers: headers(NOTIFICATION, 'notification', at(offset)), body: NOTIFICATION }))
          .code,
      ).toBe(code)
    }
    expect(
      (
        await runOne(provider({ tolerance: 60 }), {
          headers: headers(NOTIFICATION, 'notification', at(-61)),
          body: NOTIFICATION,
        })
      ).code,
    ).toBe('timestamp.out_of_range')
  })

  it.each([
    [
      'a forged signature',
      { 'twitch-eventsub-message-signature': `sha256=${'ab'.repeat(32)}` },
      401,
      'signature.invalid',
    ],
    ['a missing signature', { 'twitch-eventsub-message-signature': '' }, 401, 'signature.missing'],
    [
      'a sha1= signature',
      { 'twitch-eventsub-message-signature': `sha1=${'ab'.repeat(20)}` },
      400,
      'signature.malformed',
    ],
    ['a missing message id', { 'twitch-eventsub-message-id': '' }, 400, 'id.missing'],
    ['a changed message id', { 'twitch-eventsub-message-id': 'other-id' }, 401, 'signature.invalid'],
    ['a missing timestamp', { 'twitch-eventsub-message-timestamp': '' }, 401, 'timestamp.missing'],
    ['a Unix-seconds timestamp', { 'twitch-eventsub-message-timestamp': String(NOW_S) }, 400, 'timestamp.malformed'],
    [
      'a reformatted (same instant) timestamp',
      { 'twitch-eventsub-message-timestamp': '2023-11-14T22:13:20.634234626+00:00' },
      401,
      'signature.invalid',
    ],
  ])('rejects %s', async (_t, extra, status, code) => {
    const r = await runOne(provider(), { headers: { ...headers(NOTIFICATION), ...extra }, body: NOTIFICATION })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('a resent message (same message id, Twitch-Eventsub-Message-Retry: 1) is a duplicate', async () => {
    const [a, b] = await run(provider(), [
      { headers: headers(NOTIFICATION), body: NOTIFICATION },
      { headers: { ...headers(NOTIFICATION), 'twitch-eventsub-message-retry': '1' }, body: NOTIFICATION },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
  })

  it('accepts either secret during a rotation, and signRequest output passes', async () => {
    const rotating = provider({ secret: [OTHER, SECRET] })
    expect(
      (await runOne(rotating, { headers: headers(NOTIFICATION, 'notification', STAMP, OTHER), body: NOTIFICATION }))
        .code,
    ).toBe('accepted')
    const signed = await signRequest(provider(), { body: NOTIFICATION, id: 'm-1', now: () => NOW_MS })
    expect(signed.headers['twitch-eventsub-message-timestamp']).toBe('2023-11-14T22:13:20.000000000Z')
    expect((await runOne(rotating, signed)).code).toBe('accepted')
  })

  it('never echoes the secret or a signature', async () => {
    const bad = headers(NOTIFICATION, 'notification', STAMP, OTHER)['twitch-eventsub-message-signature']!
    const r = await runOne(provider(), {
      headers: { ...headers(NOTIFICATION), 'twitch-eventsub-message-signature': bad },
      body: NOTIFICATION,
    })
    expect(everything(r)).not.toContain(SECRET)
    expect(everything(r)).not.toContain(bad.slice(7))
  })
})

describe('twitch: configuration', () => {
  it('accepts a 10-character secret, as Twitch allows, and refuses 9', () => {
    expect(twitch({ secret: 'abcdefghij' }).name).toBe('twitch')
    expect(configMessage(() => twitch({ secret: 'abcdefghi' }))).toMatch(/too short/)
  })
  it.each(['', 'changeme', 'zzzzzzzzzzzz'])('refuses the weak secret %j', (secret) => {
    expect(configMessage(() => twitch({ secret }))).toMatch(/^hookguard: twitch: secret/)
  })
})
