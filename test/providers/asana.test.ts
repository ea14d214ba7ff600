import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { asana, createReceiver, memoryStore, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, statusOf, testReceiver, verifyCode } from './core-support.js'

// Asana's documented handshake secret ("Establish a webhook").
const HOOK_SECRET = 'b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81'
const OTHER = '7f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b'
const BODY = JSON.stringify({
  events: [
    {
      user: { gid: '1201', resource_type: 'user' },
      created_at: '2023-11-14T22:13:20.000Z',
      action: 'changed',
      resource: { gid: '1202', resource_type: 'task', resource_subtype: 'default_task' },
      parent: null,
      change: { field: 'name', action: 'changed' },
    },
  ],
})

/** Signed as Asana documents it, with node:crypto (independent of hookguard's signer). */
function asanaHeaders(body: string, secret = HOOK_SECRET): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'x-hook-signature': createHmac('sha256', secret).update(body).digest('hex'),
  }
}

describe('asana: the X-Hook-Secret handshake', () => {
  it('answers Asana’s documented handshake 200 with the same X-Hook-Secret, never enqueued', async () => {
    const receiver = testReceiver(asana({ secret: () => undefined }))
    let delivered = 0
    const result = await receiver.handle(
      { method: 'POST', url: '/receive-webhook/7654', headers: { 'x-hook-secret': HOOK_SECRET }, body: '' },
      { deliver: () => (delivered++, true) },
    )
    expect(result.status).toBe(200)
    expect(result.headers['x-hook-secret']).toBe(HOOK_SECRET)
    expect(result.outcome).toMatchObject({ kind: 'handshake', provider: 'asana', type: 'handshake' })
    expect(result.body).toBe('')
    expect(delivered).toBe(0)
  })

  it('onHandshake receives the secret and the request, so a resolver can find it for later deliveries', async () => {
    const stored = new Map<string, string>()
    const provider = asana({
      secret: ({ url }) => stored.get(url ?? ''),
      onHandshake: (secret, request) => void stored.set(request.url ?? '', secret),
    })
    const receiver = testReceiver(provider)
    const url = '/receive-webhook/7654'
    const first = await receiver.handle({ method: 'POST', url, headers: asanaHeaders(BODY), body: BODY })
    expect([first.status, first.outcome.kind]).toEqual([401, 'rejected'])
    await receiver.handle({ method: 'POST', url, headers: { 'x-hook-secret': HOOK_SECRET }, body: '' })
    expect(stored.get(url)).toBe(HOOK_SECRET)
    const later = await receiver.handle(
      { method: 'POST', url, headers: asanaHeaders(BODY), body: BODY },
      { deliver: () => true },
    )
    expect(later.status).toBe(200)
  })

  it('a throwing onHandshake is a 503, so Asana refuses to create the webhook', async () => {
    const provider = asana({
      secret: HOOK_SECRET,
      onHandshake: () => {
        throw new Error('database down')
      },
    })
    const result = await statusOf(provider, { headers: { 'x-hook-secret': HOOK_SECRET }, body: '' })
    expect(result).toEqual({ status: 503, code: 'secret.unavailable' })
  })

  it.each([
    ['too short', 'abc'],
    ['with a space', 'b537207f20cbfa02 357cf448134da559'],
    ['with a control character', 'b537207f20cbfa02\u0001357cf448134da559'],
  ])('refuses an X-Hook-Secret %s with 400 (never echoed)', async (_title, secret) => {
    const result = await testReceiver(asana({ secret: HOOK_SECRET })).handle({
      method: 'POST',
      headers: { 'x-hook-secret': secret },
      body: '',
    })
    expect([result.status, result.headers['x-hook-secret']]).toEqual([400, undefined])
  })

  it('a request with both headers is a delivery: the signature decides, the X-Hook-Secret is not echoed', async () => {
    const headers = { ...asanaHeaders(BODY, OTHER), 'x-hook-secret': OTHER }
    const result = await testReceiver(asana({ secret: HOOK_SECRET })).handle({ method: 'POST', headers, body: BODY })
    expect([result.status, result.headers['x-hook-secret']]).toEqual([401, undefined])
  })
})

describe.each(BACKENDS)('asana with %s', (_name, crypto) => {
  it('accepts a signed batch; the id is the SHA-256 of the raw body and the type resource.action', async () => {
    let event: WebhookEvent | undefined
    const result = await testReceiver(asana({ secret: HOOK_SECRET, crypto })).handle(
      { method: 'POST', headers: asanaHeaders(BODY), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({
      id: 'sha256:' + createHash('sha256').update(BODY).digest('hex'),
      type: 'task.changed',
      provider: 'asana',
    })
    expect(event?.headers['x-hook-signature']).toBe('[redacted]')
  })

  it('types a mixed batch as batch and a heartbeat without a type; an identical heartbeat dedupes', async () => {
    const mixed = JSON.stringify({
      events: [
        { action: 'added', created_at: '2023-11-14T22:13:20Z', resource: { gid: '1', resource_type: 'story' } },
        { action: 'changed', created_at: '2023-11-14T22:13:21Z', resource: { gid: '2', resource_type: 'task' } },
      ],
    })
    const heartbeat = '{"events":[]}'
    const receiver = createReceiver({
      provider: asana({ secret: HOOK_SECRET, crypto }),
      store: memoryStore({ maxKeys: 100 }),
      now: () => NOW_MS,
      logger: false,
    })
    const events: WebhookEvent[] = []
    const send = (body: string) =>
      receiver.handle({ method: 'POST', headers: asanaHeaders(body), body }, { deliver: (e) => (events.push(e), true) })
    expect((await send(mixed)).outcome.kind).toBe('accepted')
    expect((await send(heartbeat)).outcome.kind).toBe('accepted')
    expect((await send(heartbeat)).outcome.kind).toBe('duplicate')
    expect(events.map((e) => e.type)).toEqual(['batch', undefined])
  })

  it('rejects a changed body and a signature made with another secret', async () => {
    const provider = asana({ secret: HOOK_SECRET, crypto })
    expect(await verifyCode(provider, { headers: asanaHeaders(BODY), body: BODY.replace('1202', '1203') })).toBe(
      'signature.invalid',
    )
    expect(await verifyCode(provider, { headers: asanaHeaders(BODY, OTHER), body: BODY })).toBe('signature.invalid')
  })

  it('signRequest matches node:crypto, and the receiver accepts it', async () => {
    const provider = asana({ secret: HOOK_SECRET, crypto })
    const signed = await signRequest(provider, { body: BODY })
    expect(signed.headers['x-hook-signature']).toBe(asanaHeaders(BODY)['x-hook-signature'])
    expect((await statusOf(provider, { headers: signed.headers, body: BODY })).status).toBe(200)
  })
})

describe('asana: X-Hook-Signature parsing', () => {
  const provider = asana({ secret: HOOK_SECRET })
  const good = asanaHeaders(BODY)['x-hook-signature']!
  it.each([
    ['no header', 401, 'signature.missing', {}],
    ['an empty header without a hook secret', 401, 'signature.missing', { 'x-hook-signature': '' }],
    ['a sha256= prefix', 400, 'signature.malformed', { 'x-hook-signature': `sha256=${good}` }],
    ['upper-case hex', 400, 'signature.malformed', { 'x-hook-signature': good.toUpperCase() }],
    ['31 bytes', 400, 'signature.malformed', { 'x-hook-signature': good.slice(2) }],
    ['the header twice', 400, 'header.duplicated', { 'x-hook-signature': [good, good] }],
  ])('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider, { headers: headers as Record<string, string>, body: BODY })).toEqual({
      status,
      code,
    })
  })
})

describe('asana: configuration', () => {
  it.each([
    ['an empty secret', { secret: '' }, /secret is empty/],
    ['a short secret', { secret: 'short-secret' }, /too short/],
    ['a tolerance', { secret: HOOK_SECRET, tolerance: 300 }, /signs no timestamp/],
    [
      'an onHandshake that is not a function',
      { secret: HOOK_SECRET, onHandshake: 'store' },
      /onHandshake must be a function/,
    ],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => asana(options as never))).toMatch(message)
  })

  it('treats X-Hook-Secret as sensitive: redacted from events and logs', () => {
    expect(asana({ secret: HOOK_SECRET }).sensitiveHeaders).toEqual(['x-hook-signature', 'x-hook-secret'])
  })
})
