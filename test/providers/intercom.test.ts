import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { intercom } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = '6a2d8f0e-4b1c-4e7a-9d3f-2c5b8a1e0f47'
const OTHER = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'
const BODY = JSON.stringify({
  type: 'notification_event',
  app_id: 'abc123',
  data: { type: 'notification_event_data', item: { type: 'conversation', id: '147', title: 'Ça va?' } },
  id: 'notif_ccd8a4d2-3b1c-4a2e-9f8d-0e7c6b5a4f3e',
  topic: 'conversation.user.created',
  delivery_attempts: 1,
  created_at: 1700000000,
})
const sig = (body: string, secret = SECRET) => `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`
const headers = (body = BODY, secret = SECRET) => ({
  'content-type': 'application/json',
  'x-hub-signature': sig(body, secret),
})

describe.each(BACKENDS)('intercom with %s', (_n, crypto) => {
  const provider = (extra = {}) => intercom({ secret: SECRET, crypto, ...extra })

  it('accepts an HMAC-SHA1 signed notification: id and topic from the body', async () => {
    const r = await runOne(provider(), { headers: headers(), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: 'notif_ccd8a4d2-3b1c-4a2e-9f8d-0e7c6b5a4f3e',
      type: 'conversation.user.created',
      provider: 'intercom',
    })
    expect(r.enqueued[0]!.headers['x-hub-signature']).toBe('[redacted]')
  })

  it('a redelivery (delivery_attempts 2, same id) is a duplicate', async () => {
    const again = BODY.replace('"delivery_attempts":1', '"delivery_attempts":2')
    const [a, b] = await run(provider(), [
      { headers: headers(), body: BODY },
      { headers: headers(again), body: again },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
  })

  it.each([
    ['a forged signature', { 'x-hub-signature': `sha1=${'ab'.repeat(20)}` }, 401, 'signature.invalid'],
    ['a missing signature', { 'x-hub-signature': '' }, 401, 'signature.missing'],
    [
      'a sha256= signature',
      { 'x-hub-signature': `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}` },
      400,
      'signature.malformed',
    ],
    [
      'a bare hex signature',
      { 'x-hub-signature': createHmac('sha1', SECRET).update(BODY).digest('hex') },
      400,
      'signature.malformed',
    ],
  ])('rejects %s', async (_t, extra, status, code) => {
    const r = await runOne(provider(), { headers: { ...headers(), ...extra }, body: BODY })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects a changed body; accepts either secret during a rotation; signRequest output passes', async () => {
    expect((await runOne(provider(), { headers: headers(), body: BODY.replace('147', '148') })).code).toBe(
      'signature.invalid',
    )
    const rotating = provider({ secret: [OTHER, SECRET] })
    expect((await runOne(rotating, { headers: headers(BODY, OTHER), body: BODY })).code).toBe('accepted')
    const signed = await signRequest(provider(), { body: BODY })
    expect(signed.headers['x-hub-signature']).toBe(sig(BODY))
  })

  it('never echoes the secret or a signature', async () => {
    const r = await runOne(provider(), { headers: headers(BODY, OTHER), body: BODY })
    expect(everything(r)).not.toContain(SECRET)
    expect(everything(r)).not.toContain(sig(BODY, OTHER).slice(5))
  })
})

describe('intercom: configuration', () => {
  it('refuses a tolerance and weak secrets', () => {
    expect(configMessage(() => intercom({ secret: SECRET, tolerance: 60 } as never))).toMatch(/no timestamp/)
    expect(configMessage(() => intercom({ secret: 'null' }))).toMatch(/placeholder/)
  })
})
