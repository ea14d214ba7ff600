import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { square } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const KEY = 'asdf1234-Sq-signature-key-5tT7u9'
const OTHER = 'qwer5678-Sq-rotated-key-0pP2o4iU'
const URL_ = 'https://example.com/webhooks/square'
const BODY = JSON.stringify({
  merchant_id: '6SSW7HV8K2ST5',
  type: 'payment.updated',
  event_id: '13b867cf-db3d-4b1c-90b6-2f32a9d78124',
  created_at: '2023-11-14T22:13:20.000Z',
  data: {
    type: 'payment',
    id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
    object: { payment: { amount_money: { amount: 100, currency: 'EUR' } } },
  },
})
const sig = (body = BODY, url = URL_, key = KEY) =>
  createHmac('sha256', key)
    .update(url + body)
    .digest('base64')
const headers = (body = BODY, url = URL_, key = KEY) => ({
  'content-type': 'application/json',
  'x-square-hmacsha256-signature': sig(body, url, key),
})

describe.each(BACKENDS)('square with %s', (_n, crypto) => {
  const provider = (extra = {}) => square({ secret: KEY, crypto, ...extra })

  it('accepts a delivery signed over notification URL + body; event_id and type from the body', async () => {
    const r = await runOne(provider(), { url: URL_, headers: headers(), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: '13b867cf-db3d-4b1c-90b6-2f32a9d78124',
      type: 'payment.updated',
      provider: 'square',
    })
  })

  it('behind a proxy: publicUrl replaces the internal URL; a relative URL without it is a 500 naming the fix', async () => {
    expect(
      (
        await runOne(provider({ publicUrl: URL_ }), {
          url: 'http://127.0.0.1:8080/webhooks/square',
          headers: headers(),
          body: BODY,
        })
      ).code,
    ).toBe('accepted')
    const r = await runOne(provider(), { url: '/webhooks/square', headers: headers(), body: BODY })
    expect([r.result.status, r.code]).toEqual([500, 'receiver.misconfigured'])
  })

  it('a signature for another URL fails, and so does the legacy SHA-1 header alone', async () => {
    expect(
      (await runOne(provider(), { url: URL_, headers: headers(BODY, 'https://example.com/other'), body: BODY })).code,
    ).toBe('signature.invalid')
    const legacy = {
      'x-square-signature': createHmac('sha1', KEY)
        .update(URL_ + BODY)
        .digest('base64'),
    }
    expect((await runOne(provider(), { url: URL_, headers: legacy, body: BODY })).code).toBe('signature.missing')
  })

  it.each([
    ['a forged signature', { 'x-square-hmacsha256-signature': sig(BODY, URL_, OTHER) }, 401, 'signature.invalid'],
    ['a hex signature', { 'x-square-hmacsha256-signature': 'ab'.repeat(32) }, 400, 'signature.malformed'],
  ])('rejects %s', async (_t, extra, status, code) => {
    const r = await runOne(provider(), { url: URL_, headers: { ...headers(), ...extra }, body: BODY })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('a retry (same event_id) is a duplicate; rotation and signRequest work', async () => {
    const [a, b] = await run(provider(), [
      { url: URL_, headers: headers(), body: BODY },
      { url: URL_, headers: headers(), body: BODY },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
    expect(
      (await runOne(provider({ secret: [OTHER, KEY] }), { url: URL_, headers: headers(BODY, URL_, OTHER), body: BODY }))
        .code,
    ).toBe('accepted')
    const signed = await signRequest(provider(), { body: BODY, url: URL_ })
    expect(signed.headers['x-square-hmacsha256-signature']).toBe(sig())
  })

  it('never echoes the key or a signature', async () => {
    const bad = sig(BODY, URL_, OTHER)
    const r = await runOne(provider(), { url: URL_, headers: { 'x-square-hmacsha256-signature': bad }, body: BODY })
    expect(everything(r)).not.toContain(KEY)
    expect(everything(r)).not.toContain(bad)
  })
})

describe('square: configuration', () => {
  it('refuses a relative publicUrl, a tolerance and a weak key', () => {
    expect(configMessage(() => square({ secret: KEY, publicUrl: 'webhooks/square' }))).toMatch(/publicUrl/)
    expect(configMessage(() => square({ secret: KEY, tolerance: 1 } as never))).toMatch(/no timestamp/)
    expect(configMessage(() => square({ secret: 'todo' }))).toMatch(/placeholder/)
  })
})
