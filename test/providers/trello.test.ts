import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { trello, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, testReceiver } from './core-support.js'

const SECRET = 'e3c1b0f9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1'
const OTHER = '1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a'
const CALLBACK = 'https://mycallback.example.com/trelloCallbacks/?memberID=14&mainModel=true'
const action = (name: string) =>
  JSON.stringify({
    action: {
      id: '59bc8e2ddbd7af0e1474fb0e',
      idMemberCreator: '50e853a3a98492ed05002257',
      type: 'updateCard',
      date: '2023-11-14T22:13:20.000Z',
      data: { card: { id: '59bc8e1b5135cbe9718deb2d', name } },
    },
    model: { id: '597f3c854baa6e43db4f07d7', name: 'testing' },
  })
const BODY = action('Ship the release')
// U+2013 (en dash) is Trello's own example of a character signed as its low byte, 0x13.
const UNICODE_BODY = action('Ship – the release 😀')

/** Trello's documented Node sample: HMAC-SHA1 of body + callbackURL, as a "binary" (latin1) string. */
function trelloDocumented(body: string, url = CALLBACK, secret = SECRET): string {
  return createHmac('sha1', secret)
    .update(body + url, 'latin1')
    .digest('base64')
}

/** The same MAC over the UTF-8 bytes, as a sender that signs bytes would. */
function overUtf8(body: string, url = CALLBACK, secret = SECRET): string {
  return createHmac('sha1', secret)
    .update(body + url, 'utf8')
    .digest('base64')
}

function deliver(provider: ReturnType<typeof trello>, body: string, signature: string, url = CALLBACK) {
  const events: WebhookEvent[] = []
  const receiver = testReceiver(provider)
  const run = (b = body, s = signature) =>
    receiver.handle(
      { method: 'POST', url, headers: { 'content-type': 'application/json', 'x-trello-webhook': s }, body: b },
      { deliver: (e) => (events.push(e), true) },
    )
  return { run, events }
}

describe.each(BACKENDS)('trello with %s', (_name, crypto) => {
  it('accepts a delivery signed over body + callback URL; id and type come from the action', async () => {
    const { run, events } = deliver(trello({ secret: SECRET, crypto }), BODY, trelloDocumented(BODY))
    expect((await run()).status).toBe(200)
    expect(events[0]).toMatchObject({ id: '59bc8e2ddbd7af0e1474fb0e', type: 'updateCard', provider: 'trello' })
    expect(events[0]?.headers['x-trello-webhook']).toBe('[redacted]')
  })

  it('non-ASCII bodies: accepts Trello’s documented binary-string MAC and a MAC over the UTF-8 bytes', async () => {
    expect(trelloDocumented(UNICODE_BODY)).not.toBe(overUtf8(UNICODE_BODY))
    const documented = deliver(trello({ secret: SECRET, crypto }), UNICODE_BODY, trelloDocumented(UNICODE_BODY))
    expect((await documented.run()).status).toBe(200)
    const bytes = deliver(trello({ secret: SECRET, crypto }), UNICODE_BODY, overUtf8(UNICODE_BODY))
    expect((await bytes.run()).status).toBe(200)
    expect(documented.events[0]?.payload).toEqual(JSON.parse(UNICODE_BODY))
  })

  it('the binary-string weakness: a character swapped for one with the same low byte still verifies, and is a duplicate', async () => {
    // U+0113 (ē) and U+2013 (–) share the low byte 0x13, so Trello's MAC cannot tell them apart.
    const swapped = UNICODE_BODY.replace('–', 'ē')
    expect(trelloDocumented(swapped)).toBe(trelloDocumented(UNICODE_BODY))
    const { run, events } = deliver(trello({ secret: SECRET, crypto }), UNICODE_BODY, trelloDocumented(UNICODE_BODY))
    expect((await run()).outcome.kind).toBe('accepted')
    const resent = await run(swapped)
    expect([resent.status, resent.outcome.kind]).toEqual([200, 'duplicate'])
    expect(events).toHaveLength(1)
  })

  it('rejects a changed body, another callback URL, and another secret', async () => {
    const provider = trello({ secret: SECRET, crypto })
    const signature = trelloDocumented(BODY)
    expect((await deliver(provider, BODY.replace('Ship', 'Skip'), signature).run()).status).toBe(401)
    expect((await deliver(provider, BODY, signature, CALLBACK.replace('14', '15')).run()).status).toBe(401)
    expect((await deliver(provider, BODY, trelloDocumented(BODY, CALLBACK, OTHER)).run()).status).toBe(401)
  })

  it('callbackUrl: the registered URL is signed, whatever URL the request reached behind a proxy', async () => {
    const provider = trello({ secret: SECRET, callbackUrl: CALLBACK, crypto })
    const internal = 'http://10.0.0.7:3000/trello'
    expect((await deliver(provider, BODY, trelloDocumented(BODY), internal).run()).status).toBe(200)
    const perHook = trello({ secret: SECRET, callbackUrl: () => CALLBACK, crypto })
    expect((await deliver(perHook, BODY, trelloDocumented(BODY), internal).run()).status).toBe(200)
  })

  it('signRequest signs what Trello’s documented sample computes, and the receiver accepts it', async () => {
    const provider = trello({ secret: SECRET, callbackUrl: CALLBACK, crypto })
    for (const body of [UNICODE_BODY, new TextEncoder().encode(UNICODE_BODY)]) {
      const unicode = await signRequest(provider, { body })
      expect(unicode.headers['x-trello-webhook']).toBe(trelloDocumented(UNICODE_BODY))
    }
    const signed = await signRequest(provider, { body: BODY })
    expect(signed.headers['x-trello-webhook']).toBe(trelloDocumented(BODY))
    expect(signed.url).toBe(CALLBACK)
    expect((await deliver(provider, BODY, signed.headers['x-trello-webhook']!).run()).status).toBe(200)
  })
})

describe('trello: the HEAD check at webhook creation', () => {
  it('is answered 200 without a body', async () => {
    const provider = trello({ secret: SECRET })
    expect(provider.handshakeMethods).toEqual(['HEAD'])
    expect(await provider.handshake({ method: 'HEAD', url: CALLBACK, headers: {}, now: NOW_MS })).toEqual({
      status: 200,
      body: '',
    })
  })
})

describe('trello: X-Trello-Webhook parsing and the URL', () => {
  const provider = trello({ secret: SECRET })
  const good = trelloDocumented(BODY)
  it.each([
    ['no header', 401, 'signature.missing', {}],
    ['an empty header', 401, 'signature.missing', { 'x-trello-webhook': '' }],
    ['unpadded base64', 400, 'signature.malformed', { 'x-trello-webhook': good.replace(/=+$/, '') }],
    ['a character outside base64', 400, 'signature.malformed', { 'x-trello-webhook': '!' + good.slice(1) }],
    [
      'a SHA-256 length MAC',
      400,
      'signature.malformed',
      { 'x-trello-webhook': Buffer.alloc(32, 1).toString('base64') },
    ],
    ['hex', 400, 'signature.malformed', { 'x-trello-webhook': Buffer.from(good, 'base64').toString('hex') }],
    ['the header twice', 400, 'header.duplicated', { 'x-trello-webhook': [good, good] }],
  ])('answers %s with %i %s', async (_title, status, code, headers) => {
    const result = await testReceiver(provider).handle({ method: 'POST', url: CALLBACK, headers, body: BODY })
    expect([result.status, result.outcome.kind === 'rejected' && result.outcome.code]).toEqual([status, code])
  })

  it('a relative request URL without callbackUrl is a 500 that names the option', async () => {
    const result = await testReceiver(provider).handle({
      method: 'POST',
      url: '/trello',
      headers: { 'x-trello-webhook': good },
      body: BODY,
    })
    expect(result.status).toBe(500)
    expect(result.outcome).toMatchObject({ code: 'receiver.misconfigured' })
    expect((result.outcome as { reason?: string }).reason).toMatch(/pass callbackUrl to trello\(\)/)
  })
})

describe('trello: configuration', () => {
  it.each([
    ['an empty secret', { secret: '' }, /secret is empty/],
    ['a relative callbackUrl', { secret: SECRET, callbackUrl: '/trello' }, /callbackUrl must be the absolute/],
    ['a tolerance', { secret: SECRET, tolerance: 60 }, /signs no timestamp/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => trello(options as never))).toMatch(message)
  })

  it('cannot sign without a URL', async () => {
    await expect(signRequest(trello({ secret: SECRET }), { body: BODY })).rejects.toThrow(/needs an absolute url/)
  })
})
