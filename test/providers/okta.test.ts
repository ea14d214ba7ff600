import { describe, expect, it } from 'vitest'
import { okta, type WebhookEvent } from '../../src/index.js'
import { isHookguardError } from '../../src/errors.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, statusOf, testReceiver, verifyCode } from './core-support.js'

const SECRET = 'my-shared-secret-0123456789'
// Okta's documented one-time verification request (support article "Unable to verify event hook").
const CHALLENGE = 'Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg'
// The shape of Okta's documented event hook delivery.
const DELIVERY = JSON.stringify({
  eventType: 'com.okta.event_hook',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  source: 'https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3',
  eventId: 'b5a188b9-5ece-4636-b041-482ffda96311',
  eventTime: '2019-03-27T16:59:53.032Z',
  contentType: 'application/json',
  data: {
    events: [
      { uuid: '4e5a4ad0-50af-11e9-a5a4-6f17d1ba0ab1', eventType: 'user.session.start', severity: 'INFO' },
      { uuid: '4e5a4ad1-50af-11e9-a5a4-6f17d1ba0ab1', eventType: 'user.session.start', severity: 'INFO' },
    ],
  },
})

async function verification(provider: ReturnType<typeof okta>, headers: Record<string, string>) {
  try {
    return await provider.handshake({ method: 'GET', url: 'https://example.com/event-hook/', headers, now: NOW_MS })
  } catch (error) {
    if (isHookguardError(error)) return { status: error.status, code: error.code }
    throw error
  }
}

describe('okta: the one-time verification request', () => {
  const provider = okta({ secret: SECRET })

  it('answers Okta’s documented request with {"verification": …} once the Authorization header matches', async () => {
    expect(provider.handshakeMethods).toEqual(['GET'])
    const answer = await verification(provider, {
      'x-okta-verification-challenge': CHALLENGE,
      authorization: SECRET,
      'x-any-key': 'my-header-value',
    })
    expect(answer).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: `{"verification":"${CHALLENGE}"}`,
    })
  })

  it.each([
    ['no authorization', { 'x-okta-verification-challenge': CHALLENGE }, 401, 'signature.missing'],
    [
      'another secret',
      { 'x-okta-verification-challenge': CHALLENGE, authorization: 'another-shared-secret' },
      401,
      'signature.invalid',
    ],
    ['no challenge', { authorization: SECRET }, 400, 'header.malformed'],
    [
      'a challenge with quotes',
      { authorization: SECRET, 'x-okta-verification-challenge': 'a"}' },
      400,
      'header.malformed',
    ],
  ])('refuses %s', async (_title, headers, status, code) => {
    expect(await verification(provider, headers)).toEqual({ status, code })
  })

  it('checks the secret before looking at the challenge: an unauthenticated request learns nothing', async () => {
    expect(await verification(provider, { authorization: 'another-shared-secret' })).toEqual({
      status: 401,
      code: 'signature.invalid',
    })
  })
})

describe.each(BACKENDS)('okta with %s', (_name, crypto) => {
  it('accepts a delivery with the configured secret; id eventId, type the shared eventType', async () => {
    let event: WebhookEvent | undefined
    const result = await testReceiver(okta({ secret: SECRET, crypto })).handle(
      { method: 'POST', headers: { authorization: SECRET, 'content-type': 'application/json' }, body: DELIVERY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({
      id: 'b5a188b9-5ece-4636-b041-482ffda96311',
      type: 'user.session.start',
      provider: 'okta',
    })
    expect(event?.headers.authorization).toBe('[redacted]')
  })

  it('a custom authentication field: the secret is read from that header, and only that one', async () => {
    const provider = okta({ secret: SECRET, header: 'X-Okta-Secret', crypto })
    expect(provider.sensitiveHeaders).toEqual(['x-okta-secret'])
    expect(await verifyCode(provider, { headers: { 'x-okta-secret': SECRET }, body: DELIVERY })).toBe('ok')
    expect(await verifyCode(provider, { headers: { authorization: SECRET }, body: DELIVERY })).toBe('signature.missing')
  })

  it.each([
    ['another secret', { authorization: 'another-shared-secret' }, 401, 'signature.invalid'],
    ['the secret as a Bearer token', { authorization: `Bearer ${SECRET}` }, 401, 'signature.invalid'],
    ['no header', {}, 401, 'signature.missing'],
    ['the header twice', { authorization: [SECRET, SECRET] }, 400, 'header.duplicated'],
  ])('refuses %s', async (_title, headers, status, code) => {
    expect(await statusOf(okta({ secret: SECRET, crypto }), { headers, body: DELIVERY })).toEqual({ status, code })
  })

  it('a resend of the same eventId is a 200 duplicate; a mixed batch is typed batch', async () => {
    const receiver = testReceiver(okta({ secret: SECRET, crypto }))
    const send = (body: string) =>
      receiver.handle({ method: 'POST', headers: { authorization: SECRET }, body }, { deliver: () => true })
    expect((await send(DELIVERY)).outcome.kind).toBe('accepted')
    expect((await send(DELIVERY)).outcome.kind).toBe('duplicate')
    const mixed = DELIVERY.replace('b5a188b9', 'c5a188b9').replace(/user\.session\.start/, 'user.lifecycle.create')
    expect(await send(mixed)).toMatchObject({ outcome: { kind: 'accepted', type: 'batch' } })
  })

  it('the secret does not cover the body: whoever holds it can send any event (what HTTPS must protect)', async () => {
    const forged = DELIVERY.replace('INFO', 'WARN')
    expect(
      await verifyCode(okta({ secret: SECRET, crypto }), { headers: { authorization: SECRET }, body: forged }),
    ).toBe('ok')
  })
})

describe('okta: configuration and signing', () => {
  it.each([
    ['an empty secret', { secret: '' }, /secret is empty/],
    ['a short secret', { secret: 'short-secret' }, /too short/],
    ['a header name with a space', { secret: SECRET, header: 'x okta' }, /header must be an HTTP header name/],
    ['a tolerance', { secret: SECRET, tolerance: 60 }, /signs no timestamp/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => okta(options as never))).toMatch(message)
  })

  it('signRequest sends the secret in the configured header', async () => {
    const signed = await signRequest(okta({ secret: SECRET, header: 'x-okta-secret' }), { body: DELIVERY })
    expect(signed.headers['x-okta-secret']).toBe(SECRET)
  })
})
