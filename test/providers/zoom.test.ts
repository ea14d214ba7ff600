import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { zoom } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_S } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = 'pQ7vR2sT9uW4xY6zA1bC3d'
const OTHER = 'Lm8Nn0Op2Qq4Rr6Ss8Tt0u'
const EVENT = JSON.stringify({
  event: 'meeting.started',
  event_ts: 1700000000123,
  payload: {
    account_id: 'AAAAAABBBB',
    object: { id: '1234567890', uuid: '4444AAAiAAAAAiAiAiiAii==', topic: 'Réunion' },
  },
})
const VALIDATION = JSON.stringify({
  payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' },
  event_ts: 1654503849680,
  event: 'endpoint.url_validation',
})

function headers(body: string, ts = NOW_S, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'x-zm-request-timestamp': String(ts),
    'x-zm-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
  }
}

describe.each(BACKENDS)('zoom with %s', (_n, crypto) => {
  const provider = (extra = {}) => zoom({ secret: SECRET, crypto, ...extra })

  it('accepts a signed event: type from event, id a hash of the body', async () => {
    const r = await runOne(provider(), { headers: headers(EVENT), body: EVENT })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      type: 'meeting.started',
      timestamp: NOW_S,
      id: `sha256:${createHash('sha256').update(EVENT).digest('hex')}`,
    })
    expect(r.enqueued[0]!.headers['x-zm-signature']).toBe('[redacted]')
  })

  it('answers endpoint.url_validation with plainToken and its HMAC, verified first, never enqueued', async () => {
    const r = await runOne(provider(), { headers: headers(VALIDATION), body: VALIDATION })
    expect([r.result.status, r.code]).toEqual([200, 'handshake'])
    expect(r.result.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(r.result.body)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    })
    expect(r.enqueued).toHaveLength(0)
    const forged = await runOne(provider(), { headers: headers(VALIDATION, NOW_S, OTHER), body: VALIDATION })
    expect(forged.result.status).toBe(401)
    expect(forged.result.body).not.toContain('qgg8vlvZRS6UYooatFL8Aw')
  })

  it('during a rotation, answers the validation with the secret that verified it', async () => {
    const r = await runOne(provider({ secret: [OTHER, SECRET] }), {
      headers: headers(VALIDATION, NOW_S, SECRET),
      body: VALIDATION,
    })
    expect(JSON.parse(r.result.body).encryptedToken).toBe(
      createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    )
    const s = await runOne(provider({ secret: [OTHER, SECRET] }), {
      headers: headers(VALIDATION, NOW_S, OTHER),
      body: VALIDATION,
    })
    expect(JSON.parse(s.result.body).encryptedToken).toBe(
      createHmac('sha256', OTHER).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    )
  })

  it('a retry of the same body with a new timestamp is a duplicate', async () => {
    const [a, b] = await run(provider(), [
      { headers: headers(EVENT, NOW_S - 30), body: EVENT },
      { headers: headers(EVENT, NOW_S), body: EVENT },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
  })

  it.each([
    ['a forged signature', { 'x-zm-signature': `v0=${'ab'.repeat(32)}` }, 401, 'signature.invalid'],
    ['a missing signature', { 'x-zm-signature': '' }, 401, 'signature.missing'],
    ['a v1= signature', { 'x-zm-signature': `v1=${'ab'.repeat(32)}` }, 400, 'signature.malformed'],
    ['a missing timestamp', { 'x-zm-request-timestamp': '' }, 401, 'timestamp.missing'],
    ['a millisecond timestamp (13 digits)', { 'x-zm-request-timestamp': `${NOW_S}000` }, 400, 'timestamp.malformed'],
    ['a decimal timestamp', { 'x-zm-request-timestamp': `${NOW_S}.5` }, 400, 'timestamp.malformed'],
  ])('rejects %s', async (_t, extra, status, code) => {
    const r = await runOne(provider(), { headers: { ...headers(EVENT), ...extra }, body: EVENT })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects stale and future timestamps in both directions', async () => {
    expect((await runOne(provider(), { headers: headers(EVENT, NOW_S - 301), body: EVENT })).code).toBe(
      'timestamp.out_of_range',
    )
    expect((await runOne(provider(), { headers: headers(EVENT, NOW_S + 301), body: EVENT })).code).toBe(
      'timestamp.out_of_range',
    )
  })

  it('signRequest output passes; the secret never shows in a response', async () => {
    const signed = await signRequest(provider(), { body: EVENT, timestamp: NOW_S })
    expect((await runOne(provider(), signed)).code).toBe('accepted')
    const r = await runOne(provider(), { headers: headers(EVENT, NOW_S, OTHER), body: EVENT })
    expect(everything(r)).not.toContain(SECRET)
    expect(everything(r)).not.toContain(headers(EVENT, NOW_S, OTHER)['x-zm-signature']!.slice(3))
  })
})

describe('zoom: configuration', () => {
  it.each(['', 'test', 'short-token'])('refuses the weak secret %j', (secret) => {
    expect(configMessage(() => zoom({ secret }))).toMatch(/^hookguard: zoom: secret/)
  })
})
