import { Environment, Paddle } from '@paddle/paddle-node-sdk'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { paddle } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_S } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI'
const OTHER = 'pdl_ntfset_01hv8wptq8987qeep44fyrkfs4_Zq0mPlcmA7pH2yAGoR0I9cGz4Dpzf6VF'
const BODY = JSON.stringify({
  event_id: 'evt_01hv8x2acma2gz7he6zbnchb9h',
  event_type: 'transaction.completed',
  occurred_at: '2024-04-12T10:18:49.621022Z',
  notification_id: 'ntf_01hv8x2af4gdr1mjvgxdcd1x2r',
  data: { id: 'txn_01hv8wptq8987qeep44fyrkfs4', status: 'completed', note: 'Grüße' },
})
const sdk = new Paddle('pdl_sdbx_apikey_01gkpjp8bkm3tm53kdgkx6sms7_not_used', { environment: Environment.sandbox })

const h1 = (ts: number, body = BODY, secret = SECRET): string =>
  createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex')
const header = (ts = NOW_S, body = BODY, secret = SECRET): { 'content-type': string; 'paddle-signature': string } => ({
  'content-type': 'application/json',
  'paddle-signature': `ts=${ts};h1=${h1(ts, body, secret)}`,
})

describe('paddle: interop with @paddle/paddle-node-sdk', () => {
  // The SDK reads the wall clock and allows 5 s, so these cases sign at the real time.
  it('a delivery the SDK accepts passes hookguard; event_id and event_type from the body', async () => {
    const now = Date.now()
    const h = header(Math.floor(now / 1000))
    expect(await sdk.webhooks.isSignatureValid(BODY, SECRET, h['paddle-signature'])).toBe(true)
    const r = await runOne(paddle({ secret: SECRET }), { headers: h, body: BODY }, now)
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: 'evt_01hv8x2acma2gz7he6zbnchb9h',
      type: 'transaction.completed',
      timestamp: Math.floor(now / 1000),
    })
    expect(r.enqueued[0]!.headers['paddle-signature']).toBe('[redacted]')
  })

  it('a delivery signed by signRequest passes the SDK', async () => {
    const signed = await signRequest(paddle({ secret: SECRET }), { body: BODY })
    expect(await sdk.webhooks.isSignatureValid(BODY, SECRET, signed.headers['paddle-signature']!)).toBe(true)
    expect(await sdk.webhooks.isSignatureValid(BODY, OTHER, signed.headers['paddle-signature']!)).toBe(false)
  })

  it('stricter than the SDK: a timestamp an hour in the future passes the SDK but is refused', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600
    const h = header(future)
    expect(await sdk.webhooks.isSignatureValid(BODY, SECRET, h['paddle-signature'])).toBe(true)
    const r = await runOne(paddle({ secret: SECRET }), { headers: h, body: BODY }, Date.now())
    expect([r.result.status, r.code]).toEqual([401, 'timestamp.out_of_range'])
  })

  it('more thorough than the SDK: every h1 is tried, so a rotation header with the old key last still passes', async () => {
    const ts = Math.floor(Date.now() / 1000)
    const rotation = `ts=${ts};h1=${h1(ts)};h1=${h1(ts, BODY, OTHER)}`
    // The SDK only keeps the last h1, so with the current secret it fails.
    expect(await sdk.webhooks.isSignatureValid(BODY, SECRET, rotation)).toBe(false)
    const r = await runOne(
      paddle({ secret: SECRET }),
      { headers: { 'paddle-signature': rotation }, body: BODY },
      Date.now(),
    )
    expect(r.code).toBe('accepted')
  })
})

describe.each(BACKENDS)('paddle with %s', (_n, crypto) => {
  const provider = (extra = {}) => paddle({ secret: SECRET, crypto, ...extra })

  it('a redelivery with a new ts but the same event_id is a duplicate', async () => {
    const [a, b] = await run(provider(), [
      { headers: header(NOW_S - 10), body: BODY },
      { headers: header(NOW_S), body: BODY },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
  })

  it.each([
    ['a forged h1', `ts=${NOW_S};h1=${'0'.repeat(64)}`, 401, 'signature.invalid'],
    ['no h1', `ts=${NOW_S}`, 401, 'signature.invalid'],
    ['no ts', `h1=${h1(NOW_S)}`, 401, 'timestamp.missing'],
    ['two ts', `ts=${NOW_S};ts=${NOW_S};h1=${h1(NOW_S)}`, 400, 'signature.malformed'],
    ['a signed-decimal ts', `ts=${NOW_S}.0;h1=${h1(NOW_S)}`, 400, 'timestamp.malformed'],
    ['a negative ts', `ts=-${NOW_S};h1=${h1(NOW_S)}`, 400, 'timestamp.malformed'],
    ['a short h1', `ts=${NOW_S};h1=${h1(NOW_S).slice(2)}`, 400, 'signature.malformed'],
    ['spaces around pairs', `ts=${NOW_S}; h1=${h1(NOW_S)}`, 400, 'signature.malformed'],
    ['a comma separator', `ts=${NOW_S},h1=${h1(NOW_S)}`, 400, 'signature.malformed'],
    ['an empty header', '', 401, 'signature.missing'],
  ])('rejects %s', async (_t, value, status, code) => {
    const r = await runOne(provider(), { headers: { 'paddle-signature': value }, body: BODY })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects a stale or future ts beyond the tolerance, in both directions', async () => {
    expect((await runOne(provider(), { headers: header(NOW_S - 301), body: BODY })).code).toBe('timestamp.out_of_range')
    expect((await runOne(provider(), { headers: header(NOW_S + 301), body: BODY })).code).toBe('timestamp.out_of_range')
    expect((await runOne(provider({ tolerance: 5 }), { headers: header(NOW_S - 6), body: BODY })).code).toBe(
      'timestamp.out_of_range',
    )
    expect((await runOne(provider({ tolerance: 5 }), { headers: header(NOW_S - 4), body: BODY })).code).toBe('accepted')
  })

  it('rejects a body changed after signing, and a ts moved without re-signing', async () => {
    expect((await runOne(provider(), { headers: header(), body: BODY.replace('Grüße', 'Grüsse') })).code).toBe(
      'signature.invalid',
    )
    expect(
      (await runOne(provider(), { headers: { 'paddle-signature': `ts=${NOW_S + 1};h1=${h1(NOW_S)}` }, body: BODY }))
        .code,
    ).toBe('signature.invalid')
  })

  it('accepts either secret during a rotation', async () => {
    const rotating = provider({ secret: [OTHER, SECRET] })
    expect((await runOne(rotating, { headers: header(NOW_S, BODY, SECRET), body: BODY })).code).toBe('accepted')
    expect((await runOne(rotating, { headers: header(NOW_S, BODY, OTHER), body: BODY })).code).toBe('accepted')
  })

  it('never echoes the secret or a signature', async () => {
    const bad = h1(NOW_S, BODY, OTHER)
    const r = await runOne(provider(), { headers: { 'paddle-signature': `ts=${NOW_S};h1=${bad}` }, body: BODY })
    expect(everything(r)).not.toContain(SECRET)
    expect(everything(r)).not.toContain(bad)
  })
})

describe('paddle: configuration', () => {
  it.each(['', 'pdl_ntfset', 'undefined'])('refuses the weak secret %j', (secret) => {
    expect(configMessage(() => paddle({ secret }))).toMatch(/^hookguard: paddle: secret/)
  })
  it('refuses tolerance together with skipTimestampCheck', () => {
    expect(configMessage(() => paddle({ secret: SECRET, tolerance: 5, skipTimestampCheck: true }))).toMatch(/either/)
  })
})
