import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createReceiver, dropbox, memoryStore, type WebhookEvent } from '../../src/index.js'
import { isHookguardError } from '../../src/errors.js'
import { fixedClock, signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, statusOf, verifyCode } from './core-support.js'

const SECRET = 'k5dh3l1r7wsy0bn'
// The notification of Dropbox's webhook reference.
const BODY =
  '{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", "dbid:AAAY7kCJpY2v0sFhqOkcJfwrSVkd6w3rTxY"]}, "delta": {"users": [12345678, 23456789]}}'
const HASH = createHash('sha256').update(BODY).digest('hex')

/** Signed as Dropbox documents it, with node:crypto (independent of hookguard's signer). */
function dropboxHeaders(body: string, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-dropbox-signature': createHmac('sha256', secret).update(body).digest('hex'),
  }
}

function receiverWith(provider: ReturnType<typeof dropbox>, clock: () => number) {
  const events: WebhookEvent[] = []
  const receiver = createReceiver({ provider, store: memoryStore({ maxKeys: 100 }), now: clock, logger: false })
  const send = (body = BODY) =>
    receiver.handle({ method: 'POST', headers: dropboxHeaders(body), body }, { deliver: (e) => (events.push(e), true) })
  return { send, events }
}

describe('dropbox: the GET verification request', () => {
  const provider = dropbox({ secret: SECRET })
  const ask = async (query: string) => {
    try {
      return await provider.handshake({
        method: 'GET',
        url: `https://example.com/dropbox-webhook${query}`,
        headers: {},
        now: NOW_MS,
      })
    } catch (error) {
      if (isHookguardError(error)) return { status: error.status, code: error.code }
      throw error
    }
  }

  it('echoes the challenge as text/plain with X-Content-Type-Options: nosniff, as Dropbox asks', async () => {
    expect(provider.handshakeMethods).toEqual(['GET'])
    expect(await ask('?challenge=abc123')).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
      body: 'abc123',
    })
  })

  it.each([
    ['no challenge', '', 400, 'header.malformed'],
    ['an empty challenge', '?challenge=', 400, 'header.malformed'],
    ['markup', '?challenge=%3Cimg%20src%3Dx%3E', 400, 'header.malformed'],
    ['a challenge of 513 characters', `?challenge=${'a'.repeat(513)}`, 400, 'header.malformed'],
    ['two challenges', '?challenge=a&challenge=b', 400, 'header.duplicated'],
  ])('refuses %s', async (_title, query, status, code) => {
    expect(await ask(query)).toEqual({ status, code })
  })
})

describe.each(BACKENDS)('dropbox with %s', (_name, crypto) => {
  it('accepts a notification signed with the app secret; type list_folder, id from the body hash and arrival', async () => {
    const { send, events } = receiverWith(dropbox({ secret: SECRET, crypto }), () => NOW_MS)
    expect((await send()).status).toBe(200)
    expect(events[0]).toMatchObject({ type: 'list_folder', provider: 'dropbox', payload: JSON.parse(BODY) })
    expect(events[0]!.id).toMatch(new RegExp(`^sha256:${HASH}@${NOW_MS}\\.[0-9a-f]{8}$`))
    expect(events[0]!.headers['x-dropbox-signature']).toBe('[redacted]')
  })

  it('by default every delivery is its own event: a second notification for the same accounts is never dropped', async () => {
    const { send, events } = receiverWith(dropbox({ secret: SECRET, crypto }), () => NOW_MS)
    expect((await send()).outcome.kind).toBe('accepted')
    expect((await send()).outcome.kind).toBe('accepted')
    expect(events).toHaveLength(2)
    expect(events[0]!.id).not.toBe(events[1]!.id)
  })

  it('coalesceMs: identical bodies within one slot are one event; in the next slot, a new one', async () => {
    const clock = fixedClock(NOW_MS)
    const { send, events } = receiverWith(dropbox({ secret: SECRET, coalesceMs: 10_000, crypto }), clock)
    expect((await send()).outcome.kind).toBe('accepted')
    clock.advance(9_999)
    expect((await send()).outcome.kind).toBe('duplicate')
    clock.advance(1)
    expect((await send()).outcome.kind).toBe('accepted')
    expect((await send(BODY.replace('12345678', '12345679'))).outcome.kind).toBe('accepted')
    expect(events.map((e) => e.id.split('@')[1])).toEqual([
      String(NOW_MS),
      String(NOW_MS + 10_000),
      String(NOW_MS + 10_000),
    ])
  })

  it('rejects a changed body and another secret', async () => {
    const provider = dropbox({ secret: SECRET, crypto })
    expect(
      await verifyCode(provider, { headers: dropboxHeaders(BODY), body: BODY.replace('12345678', '12345670') }),
    ).toBe('signature.invalid')
    expect(await verifyCode(provider, { headers: dropboxHeaders(BODY, 'another15charsx'), body: BODY })).toBe(
      'signature.invalid',
    )
  })

  it('signRequest matches node:crypto', async () => {
    const signed = await signRequest(dropbox({ secret: SECRET, crypto }), { body: BODY })
    expect(signed.headers['x-dropbox-signature']).toBe(dropboxHeaders(BODY)['x-dropbox-signature'])
  })
})

describe('dropbox: X-Dropbox-Signature parsing', () => {
  const good = dropboxHeaders(BODY)['x-dropbox-signature']!
  it.each([
    ['no header', 401, 'signature.missing', {}],
    ['a sha256= prefix', 400, 'signature.malformed', { 'x-dropbox-signature': `sha256=${good}` }],
    ['upper-case hex', 400, 'signature.malformed', { 'x-dropbox-signature': good.toUpperCase() }],
    ['base64', 400, 'signature.malformed', { 'x-dropbox-signature': Buffer.from(good, 'hex').toString('base64') }],
    ['the header twice', 400, 'header.duplicated', { 'x-dropbox-signature': [good, good] }],
  ])('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(
      await statusOf(dropbox({ secret: SECRET }), { headers: headers as Record<string, string>, body: BODY }),
    ).toEqual({
      status,
      code,
    })
  })
})

describe('dropbox: configuration', () => {
  it.each([
    ['an empty secret', { secret: '' }, /secret is empty/],
    ['a secret under 12 characters', { secret: 'abc123def45' }, /too short/],
    ['a negative coalesceMs', { secret: SECRET, coalesceMs: -1 }, /coalesceMs must be/],
    ['an infinite coalesceMs', { secret: SECRET, coalesceMs: Infinity }, /coalesceMs must be/],
    ['a tolerance', { secret: SECRET, tolerance: 300 }, /signs no timestamp/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => dropbox(options as never))).toMatch(message)
  })
})
