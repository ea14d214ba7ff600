import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { instagram, messenger, meta, whatsapp, type HandshakeProvider, type WebhookEvent } from '../../src/index.js'
import { isHookguardError } from '../../src/errors.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, statusOf, testReceiver, verifyCode } from './core-support.js'

const SECRET = 'a3f5c7e9b1d3f5a7c9e1b3d5f7a9c1e3'
const OTHER = '0f1e2d3c4b5a69788796a5b4c3d2e1f0'
// Meta's documented sample verification request (Graph API Webhooks, "Getting Started").
const DOCS = { challenge: '1158201444', verifyToken: 'meatyhamhock' }
// Meta signs the body as sent, with non-ASCII escaped the way its servers write JSON.
const BODY =
  '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","messages":[{"from":"16315551181","id":"wamid.ABGGFlA5Fpa","timestamp":"1504902988","text":{"body":"caf\\u00e9 \\ud83d\\ude00"},"type":"text"}]},"field":"messages"}]}]}'

/** Signed as Meta documents it, with node:crypto (independent of hookguard's signer). */
function metaHeaders(body: string, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hub-signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex'),
    'x-hub-signature': 'sha1=' + createHmac('sha1', secret).update(body).digest('hex'),
  }
}

async function handshakeOf(provider: HandshakeProvider, query: string) {
  try {
    return await provider.handshake({
      method: 'GET',
      url: `https://example.com/hooks/meta${query}`,
      headers: {},
      now: NOW_MS,
    })
  } catch (error) {
    if (isHookguardError(error)) return { status: error.status, code: error.code }
    throw error
  }
}

describe('meta: the GET verification request', () => {
  const provider = meta({ appSecret: SECRET, verifyToken: DOCS.verifyToken })

  it('answers Meta’s documented sample with the challenge as plain text that is never sniffed', async () => {
    expect(provider.handshakeMethods).toEqual(['GET'])
    const answer = await handshakeOf(
      provider,
      `?hub.mode=subscribe&hub.challenge=${DOCS.challenge}&hub.verify_token=${DOCS.verifyToken}`,
    )
    expect(answer).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
      body: DOCS.challenge,
    })
  })

  it.each([
    [
      'a wrong verify token',
      '?hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhocks',
      401,
      'signature.invalid',
    ],
    [
      'a verify token of another length',
      '?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x',
      401,
      'signature.invalid',
    ],
    ['no verify token', '?hub.mode=subscribe&hub.challenge=1', 401, 'signature.missing'],
    ['another mode', '?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock', 400, 'header.malformed'],
    ['no mode', '?hub.challenge=1&hub.verify_token=meatyhamhock', 400, 'header.malformed'],
    ['no challenge', '?hub.mode=subscribe&hub.verify_token=meatyhamhock', 400, 'header.malformed'],
    [
      'markup in the challenge',
      '?hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=meatyhamhock',
      400,
      'header.malformed',
    ],
    [
      'a challenge given twice',
      '?hub.mode=subscribe&hub.challenge=1&hub.challenge=2&hub.verify_token=meatyhamhock',
      400,
      'header.duplicated',
    ],
    ['no query at all', '', 400, 'header.malformed'],
  ])('refuses %s', async (_title, query, status, code) => {
    expect(await handshakeOf(provider, query)).toEqual({ status, code })
  })

  it('without verifyToken answers no GET (the receiver then sends 405)', () => {
    expect(meta({ appSecret: SECRET }).handshakeMethods).toEqual([])
  })
})

describe.each(BACKENDS)('meta with %s', (_name, crypto) => {
  it('accepts a body signed with the app secret; the id is the SHA-256 of the raw body, the type its object', async () => {
    let event: WebhookEvent | undefined
    const receiver = testReceiver(meta({ appSecret: SECRET, crypto }))
    const result = await receiver.handle(
      { method: 'POST', headers: metaHeaders(BODY), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({
      id: 'sha256:' + createHash('sha256').update(BODY).digest('hex'),
      type: 'whatsapp_business_account',
      provider: 'meta',
      payload: JSON.parse(BODY),
    })
    expect(event?.timestamp).toBeUndefined()
    expect(event?.headers['x-hub-signature-256']).toBe('[redacted]')
  })

  it('verifies the escaped bytes as sent: the same body re-serialised with the characters unescaped is 401', async () => {
    const unescaped = JSON.stringify(JSON.parse(BODY))
    expect(unescaped).not.toBe(BODY)
    expect(await verifyCode(meta({ secret: SECRET, crypto }), { headers: metaHeaders(BODY), body: unescaped })).toBe(
      'signature.invalid',
    )
  })

  it('a byte-exact resend is a 200 duplicate; a different batch is a new event', async () => {
    const receiver = testReceiver(meta({ appSecret: SECRET, crypto }))
    let deliveries = 0
    const deliver = () => (deliveries++, true)
    const send = (body: string) => receiver.handle({ method: 'POST', headers: metaHeaders(body), body }, { deliver })
    expect((await send(BODY)).outcome.kind).toBe('accepted')
    expect((await send(BODY)).outcome.kind).toBe('duplicate')
    expect((await send(BODY.replace('1504902988', '1504902989'))).outcome.kind).toBe('accepted')
    expect(deliveries).toBe(2)
  })

  it('rotation: any app secret of the list passes; a body signed with another is 401', async () => {
    expect(
      await verifyCode(meta({ appSecret: [SECRET, OTHER], crypto }), { headers: metaHeaders(BODY, OTHER), body: BODY }),
    ).toBe('ok')
    expect(
      await verifyCode(meta({ appSecret: SECRET, crypto }), { headers: metaHeaders(BODY, OTHER), body: BODY }),
    ).toBe('signature.invalid')
  })

  it('never uses SHA-1: a valid X-Hub-Signature alone is 401 signature.missing', async () => {
    const { 'x-hub-signature': sha1 } = metaHeaders(BODY)
    expect(
      await statusOf(meta({ appSecret: SECRET, crypto }), { headers: { 'x-hub-signature': sha1! }, body: BODY }),
    ).toEqual({
      status: 401,
      code: 'signature.missing',
    })
  })

  it('signRequest produces what node:crypto computes, and the receiver accepts it', async () => {
    const provider = meta({ appSecret: SECRET, crypto })
    const signed = await signRequest(provider, { body: BODY })
    expect(signed.headers['x-hub-signature-256']).toBe(metaHeaders(BODY)['x-hub-signature-256'])
    expect((await statusOf(provider, { headers: signed.headers, body: BODY })).status).toBe(200)
  })
})

describe('meta: X-Hub-Signature-256 parsing', () => {
  const provider = meta({ appSecret: SECRET })
  const good = metaHeaders(BODY)['x-hub-signature-256']!
  const cases: Array<[string, number, string, Record<string, string | string[]>]> = [
    ['no header', 401, 'signature.missing', {}],
    ['an empty header', 401, 'signature.missing', { 'x-hub-signature-256': '' }],
    ['no prefix', 400, 'signature.malformed', { 'x-hub-signature-256': good.slice(7) }],
    ['a sha1= prefix', 400, 'signature.malformed', { 'x-hub-signature-256': good.replace('sha256=', 'sha1=') }],
    ['upper-case hex', 400, 'signature.malformed', { 'x-hub-signature-256': 'sha256=' + good.slice(7).toUpperCase() }],
    ['a truncated signature', 400, 'signature.malformed', { 'x-hub-signature-256': good.slice(0, 41) }],
    ['the header twice', 400, 'header.duplicated', { 'x-hub-signature-256': [good, good] }],
    ['a wrong signature', 401, 'signature.invalid', { 'x-hub-signature-256': 'sha256=' + 'ab'.repeat(32) }],
  ]
  it.each(cases)('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status, code })
  })
})

describe('meta: the product aliases', () => {
  it.each([
    ['whatsapp', whatsapp],
    ['messenger', messenger],
    ['instagram', instagram],
  ] as const)('%s() verifies the same scheme under its own name (its own dedupe namespace)', async (name, factory) => {
    const provider = factory({ appSecret: SECRET, verifyToken: DOCS.verifyToken })
    expect(provider.name).toBe(name)
    expect(provider.handshakeMethods).toEqual(['GET'])
    let event: WebhookEvent | undefined
    const result = await testReceiver(provider).handle(
      { method: 'POST', headers: metaHeaders(BODY), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event?.provider).toBe(name)
    expect(event?.key.startsWith(`${name}:`)).toBe(true)
  })
})

describe('meta: configuration', () => {
  it.each([
    ['an empty app secret', { appSecret: '' }, /appSecret is empty/],
    ['a placeholder app secret', { appSecret: 'changeme' }, /appSecret is a placeholder/],
    ['both appSecret and secret', { appSecret: SECRET, secret: SECRET }, /give appSecret or secret, not both/],
    ['neither', {}, /secret must be a string/],
    ['a short verify token', { appSecret: SECRET, verifyToken: 'short' }, /verifyToken is too short/],
    ['a verify token with padding', { appSecret: SECRET, verifyToken: ' meatyhamhock' }, /verifyToken has leading/],
    ['a verify token that is not a string', { appSecret: SECRET, verifyToken: 42 }, /verifyToken must be a string/],
    ['a tolerance', { appSecret: SECRET, tolerance: 300 }, /signs no timestamp/],
  ])('refuses %s with a TypeError that names the fix', (_title, options, message) => {
    const text = configMessage(() => meta(options as never))
    expect(text).toMatch(message)
    expect(text).not.toContain(SECRET)
  })

  it('lists both signature headers as sensitive', () => {
    expect(meta({ secret: SECRET }).sensitiveHeaders).toEqual(['x-hub-signature-256', 'x-hub-signature'])
  })
})
