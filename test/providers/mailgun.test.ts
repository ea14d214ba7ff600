import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { mailgun } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_S } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'
const OTHER = 'f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4'
const TOKEN = '2b8c5f0d9a1e3b7c4d6e8f0a1b3c5d7e9f1a3b5c7d9e0f2a4b'
const EVENT_DATA = {
  event: 'delivered',
  id: 'CPgfbmQMTCKtHW6uIWtuVe',
  timestamp: 1521472262.908181,
  recipient: 'alice@example.com',
  message: { headers: { subject: 'Grüße' } },
}

function body(ts = String(NOW_S), token = TOKEN, key = KEY, data: unknown = EVENT_DATA): string {
  return JSON.stringify({
    signature: {
      timestamp: ts,
      token,
      signature: createHmac('sha256', key)
        .update(ts + token)
        .digest('hex'),
    },
    'event-data': data,
  })
}
const JSON_HEADERS = { 'content-type': 'application/json' }

describe.each(BACKENDS)('mailgun with %s', (_n, crypto) => {
  const provider = (extra = {}) => mailgun({ secret: KEY, crypto, ...extra })

  it('accepts a signed JSON webhook: the token is the id, event-data.event the type', async () => {
    const r = await runOne(provider(), { headers: JSON_HEADERS, body: body() })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: TOKEN, type: 'delivered', timestamp: NOW_S, provider: 'mailgun' })
  })

  it('finds the signature object without parsing the body: last as well as first, spaces around the colon', async () => {
    const signed = JSON.parse(body()) as { signature: unknown }
    const last = JSON.stringify({ 'event-data': EVENT_DATA, signature: signed.signature })
    const spaced = last.replace('"signature":', '"signature" :  ')
    for (const text of [last, spaced]) {
      const r = await runOne(provider(), { headers: JSON_HEADERS, body: text })
      expect([r.result.status, r.enqueued[0]?.id]).toEqual([200, TOKEN])
    }
  })

  it('a verified signature object that is not the body’s top-level one is a 400 after verification', async () => {
    const signed = JSON.parse(body()) as { signature: Record<string, string> }
    const decoy = { ...signed.signature, token: 'other-token-0123456789' }
    // The valid object sits first, nested in event-data; the top-level member is another one.
    const nested = JSON.stringify({ 'event-data': { ...EVENT_DATA, signature: signed.signature }, signature: decoy })
    const r = await runOne(provider(), { headers: JSON_HEADERS, body: nested })
    expect([r.result.status, r.code]).toEqual([400, 'body.malformed'])
    expect(r.enqueued).toHaveLength(0)
  })

  it('accepts a legacy form-encoded webhook with the fields at the top level', async () => {
    const sig = createHmac('sha256', KEY)
      .update(String(NOW_S) + TOKEN)
      .digest('hex')
    const form = new URLSearchParams({
      event: 'opened',
      recipient: 'bob@example.com',
      timestamp: String(NOW_S),
      token: TOKEN,
      signature: sig,
    }).toString()
    const r = await runOne(provider(), { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
    expect(r.enqueued[0]).toMatchObject({ id: TOKEN, type: 'opened' })
  })

  it('the signature does not cover event-data, so a reused token with other data is a duplicate and never enqueued', async () => {
    const tampered = body(String(NOW_S), TOKEN, KEY, { ...EVENT_DATA, event: 'failed' })
    const [a, b] = await run(provider(), [
      { headers: JSON_HEADERS, body: body() },
      { headers: JSON_HEADERS, body: tampered },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
    expect(b!.enqueued).toHaveLength(1)
    expect(b!.enqueued[0]!.type).toBe('delivered')
  })

  it.each([
    ['a forged signature', () => body(String(NOW_S), TOKEN, OTHER), 401, 'signature.invalid'],
    ['a stale timestamp', () => body(String(NOW_S - 301)), 401, 'timestamp.out_of_range'],
    ['a future timestamp', () => body(String(NOW_S + 301)), 401, 'timestamp.out_of_range'],
    [
      'a numeric timestamp',
      () => JSON.stringify({ signature: { ...JSON.parse(body()).signature, timestamp: NOW_S } }),
      400,
      'timestamp.malformed',
    ],
    ['a missing signature object', () => JSON.stringify({ 'event-data': EVENT_DATA }), 401, 'signature.missing'],
    [
      'a missing token',
      () => JSON.stringify({ signature: { ...JSON.parse(body()).signature, token: undefined } }),
      400,
      'signature.malformed',
    ],
    [
      'a non-hex signature',
      () => JSON.stringify({ signature: { ...JSON.parse(body()).signature, signature: 'zz' } }),
      400,
      'signature.malformed',
    ],
    ['a body that is not JSON', () => 'signature=1', 400, 'body.malformed'],
  ])('rejects %s', async (_t, make, status, code) => {
    const r = await runOne(provider(), { headers: JSON_HEADERS, body: make() })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('accepts either key during a rotation; signRequest embeds a valid signature object', async () => {
    expect((await runOne(provider({ secret: [OTHER, KEY] }), { headers: JSON_HEADERS, body: body() })).code).toBe(
      'accepted',
    )
    const signed = await signRequest(provider(), {
      body: JSON.stringify({ 'event-data': EVENT_DATA }),
      id: 'tok123',
      timestamp: NOW_S,
    })
    const r = await runOne(provider(), signed)
    expect(r.enqueued[0]).toMatchObject({ id: 'tok123', type: 'delivered' })
  })

  it('never echoes the key or a signature', async () => {
    const forged = body(String(NOW_S), TOKEN, OTHER)
    const r = await runOne(provider(), { headers: JSON_HEADERS, body: forged })
    expect(everything(r)).not.toContain(KEY)
    expect(everything(r)).not.toContain(JSON.parse(forged).signature.signature)
  })
})

describe('mailgun: configuration', () => {
  it('refuses weak keys', () => {
    expect(configMessage(() => mailgun({ secret: '' }))).toMatch(/empty/)
    expect(configMessage(() => mailgun({ secret: 'key-123' }))).toMatch(/too short/)
  })
})
