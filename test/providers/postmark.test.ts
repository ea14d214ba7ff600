import { describe, expect, it } from 'vitest'
import { postmark } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const USER = 'postmark'
const PASSWORD = 'hookguard-postmark-password-42'
const NEXT_PASSWORD = 'hookguard-postmark-password-43'
// Postmark's documented delivery, open and inbound webhook shapes.
const DELIVERY = JSON.stringify({
  RecordType: 'Delivery',
  ServerID: 23,
  MessageStream: 'outbound',
  MessageID: '00000000-0000-0000-0000-000000000000',
  Recipient: 'john@example.com',
  Tag: 'welcome-email',
  DeliveredAt: '2023-11-14T22:13:20Z',
  Details: 'Test delivery webhook details',
})
const open = (at: string) =>
  JSON.stringify({
    RecordType: 'Open',
    MessageStream: 'outbound',
    FirstOpen: at === '2023-11-14T22:13:20Z',
    MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
    Recipient: 'john@example.com',
    ReceivedAt: at,
    Platform: 'Desktop',
  })
const INBOUND = JSON.stringify({
  FromName: 'Postmarkapp Support',
  MessageStream: 'inbound',
  From: 'support@postmarkapp.com',
  Subject: 'Test subject',
  MessageID: '73e6d360-66eb-11e1-8e72-a8904824019b',
  Date: 'Tue, 14 Nov 2023 22:13:20 +0000',
  TextBody: 'Grüße',
})

// What Postmark sends for https://user:password@host/…: RFC 7617 Basic credentials.
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const headersFor = (authorization: string | string[]) => ({ 'content-type': 'application/json', authorization })

describe.each(BACKENDS)('postmark with %s', (_name, crypto) => {
  const provider = () => postmark({ username: USER, password: PASSWORD, crypto })

  it('accepts the right credentials; id RecordType:MessageID:DeliveredAt; Authorization redacted', async () => {
    const r = await runOne(provider(), { headers: headersFor(basic(USER, PASSWORD)), body: DELIVERY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: 'Delivery:00000000-0000-0000-0000-000000000000:2023-11-14T22:13:20Z',
      type: 'Delivery',
      provider: 'postmark',
    })
    expect(r.enqueued[0]!.headers.authorization).toBe('[redacted]')
  })

  it('two opens of one message are two events; a resend of one is a duplicate; inbound is Inbound:MessageID', async () => {
    const auth = headersFor(basic(USER, PASSWORD))
    const runs = await run(provider(), [
      { headers: auth, body: open('2023-11-14T22:13:20Z') },
      { headers: auth, body: open('2023-11-14T23:00:00Z') },
      { headers: auth, body: open('2023-11-14T22:13:20Z') },
      { headers: auth, body: INBOUND },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'accepted', 'duplicate', 'accepted'])
    expect(runs[3]!.enqueued[2]).toMatchObject({ id: 'Inbound:73e6d360-66eb-11e1-8e72-a8904824019b', type: 'Inbound' })
  })

  it('refuses another password, another user, and a right password under another scheme', async () => {
    const cases = [
      basic(USER, NEXT_PASSWORD),
      basic('someone', PASSWORD),
      `Bearer ${PASSWORD}`,
      basic(USER, `${PASSWORD} `),
    ]
    const runs = await run(
      provider(),
      cases.map((a) => ({ headers: headersFor(a), body: DELIVERY })),
    )
    expect(runs.map((r) => r.code)).toEqual(Array(4).fill('signature.invalid'))
    for (const r of runs) expect(everything(r)).not.toContain(PASSWORD)
  })

  it('what it does not protect: the body — a changed body with the credentials is accepted as a new event', async () => {
    const auth = headersFor(basic(USER, PASSWORD))
    const forged = DELIVERY.replace('john@example.com', 'mallory@example.com').replace('22:13:20Z', '22:13:21Z')
    const runs = await run(provider(), [
      { headers: auth, body: DELIVERY },
      { headers: auth, body: forged },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'accepted'])
  })

  it('a password change: either password of a list passes; a per-request resolver works', async () => {
    const both = postmark({ username: USER, password: [PASSWORD, NEXT_PASSWORD], crypto })
    expect((await runOne(both, { headers: headersFor(basic(USER, NEXT_PASSWORD)), body: DELIVERY })).code).toBe(
      'accepted',
    )
    const tenant = postmark({
      username: USER,
      password: ({ url }) => (url?.endsWith('/acme') ? NEXT_PASSWORD : undefined),
      crypto,
    })
    const to = (url: string) => ({ headers: headersFor(basic(USER, NEXT_PASSWORD)), body: DELIVERY, url })
    expect((await runOne(tenant, to('/hooks/acme'))).code).toBe('accepted')
    expect((await runOne(tenant, to('/hooks/other'))).code).toBe('signature.invalid')
  })

  it('signRequest sends the Basic credentials Postmark would', async () => {
    const signed = await signRequest(provider(), { body: DELIVERY })
    expect(signed.headers.authorization).toBe(basic(USER, PASSWORD))
  })
})

describe('postmark: Authorization parsing', () => {
  const good = basic(USER, PASSWORD)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'content-type': 'application/json' }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['Basic without credentials', 401, 'signature.invalid', headersFor('Basic')],
    ['unpadded base64', 400, 'signature.malformed', headersFor(basic(USER, `${PASSWORD}x`).replace(/=+$/, ''))],
    ['base64url characters', 400, 'signature.malformed', headersFor('Basic a-b_')],
    [
      'credentials that are not UTF-8',
      400,
      'signature.malformed',
      headersFor(`Basic ${Buffer.from([0xff, 0x3a, 0x41]).toString('base64')}`),
    ],
    ['credentials over 1 KiB', 400, 'signature.malformed', headersFor(`Basic ${'QUFB'.repeat(300)}`)],
    ['the header twice', 400, 'header.duplicated', headersFor([good, good])],
    [
      'lower-case scheme (allowed by RFC 7235) with the right credentials',
      200,
      'accepted',
      headersFor(good.replace('Basic', 'basic')),
    ],
  ]
  headerTable(() => postmark({ username: USER, password: PASSWORD }), DELIVERY, cases, [PASSWORD])
})

describe('postmark: configuration', () => {
  it.each([
    ['no username', { password: PASSWORD }, /username must be/],
    ['a username with a colon', { username: 'a:b', password: PASSWORD }, /may not contain ":"/],
    ['a short password', { username: USER, password: 'short-pass' }, /password is too short/],
    ['a placeholder password', { username: USER, password: 'changeme' }, /placeholder/],
    ['a tolerance', { username: USER, password: PASSWORD, tolerance: 60 }, /signs no timestamp/],
    ['no options', undefined, /pass \{ username, password \}/],
    ['a secret (Postmark signs nothing)', { secret: PASSWORD }, /signs nothing; pass \{ username, password \}/],
  ])('refuses %s with a TypeError that names the fix', (_title, options, message) => {
    const text = configMessage(() => postmark(options as never))
    expect(text).toMatch(message)
    expect(text).not.toContain(PASSWORD)
  })
})
