import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { mandrill } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { MANDRILL_CAPTURED as CAPTURED } from '../fixtures/mandrill/captured.js'
import { BACKENDS, configMessage, NOW_MS, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

const KEY = 'mandrill-webhook-key-Xr4Tq8Zp'
const URL = 'https://example.com/webhooks/mandrill'
const events = (...ids: string[]) =>
  JSON.stringify(ids.map((id) => ({ event: 'hard_bounce', _id: id, ts: 1700000000, msg: { email: 'ü@example.com' } })))
const form = (json: string, extra = '') => `${extra}mandrill_events=${encodeURIComponent(json)}`

/** Mandrill's documented algorithm, computed independently: URL + sorted decoded `name + value`, HMAC-SHA1, base64. */
function mandrillSignature(body: string, url = URL, key = KEY): string {
  const params = [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : 1))
  return createHmac('sha1', key)
    .update(url + params.map(([k, v]) => k + v).join(''))
    .digest('base64')
}
const headersFor = (signature: string) => ({
  'content-type': 'application/x-www-form-urlencoded',
  'user-agent': 'Mandrill-Webhook/1.0',
  'x-mandrill-signature': signature,
})

describe.each(BACKENDS)('mandrill: a delivery Mandrill sent (mandrill-rails fixture) with %s', (_name, crypto) => {
  const provider = () => mandrill({ secret: CAPTURED.key, publicUrl: CAPTURED.url, crypto })

  it('verifies and is queued as one batch of click events', async () => {
    const r = await runOne(provider(), { headers: headersFor(CAPTURED.signature), body: CAPTURED.body, url: '/hooks' })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ type: 'click', provider: 'mandrill' })
    expect(r.enqueued[0]!.id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((r.enqueued[0]!.payload as Array<{ msg: { subject: string } }>)[0]!.msg.subject).toBe(
      'This an example webhook message',
    )
    expect(r.enqueued[0]!.headers['x-mandrill-signature']).toBe('[redacted]')
  })

  it('is refused under another key, at the URL with a trailing slash, or with the body re-encoded differently in meaning', async () => {
    const wrongKey = mandrill({ secret: 'another-webhook-key-0000', publicUrl: CAPTURED.url, crypto })
    const slash = mandrill({ secret: CAPTURED.key, publicUrl: `${CAPTURED.url}/`, crypto })
    const request = { headers: headersFor(CAPTURED.signature), body: CAPTURED.body }
    expect(await verifyCode(wrongKey, request)).toBe('signature.invalid')
    expect(await verifyCode(slash, request)).toBe('signature.invalid')
    expect(await verifyCode(provider(), { ...request, body: CAPTURED.body.replace('Oklahoma', 'Kansas') })).toBe(
      'signature.invalid',
    )
  })
})

describe.each(BACKENDS)('mandrill with %s', (_name, crypto) => {
  const provider = () => mandrill({ secret: KEY, publicUrl: URL, crypto })
  const body = form(events('m1', 'm2'))

  it('id: a digest of the decoded events; a respelling of the same events is a duplicate', async () => {
    const respelt = `mandrill_events=${events('m1', 'm2')}` // '[' and '"' left unescaped: same decoded value
    expect(mandrillSignature(respelt)).toBe(mandrillSignature(body))
    const runs = await run(provider(), [
      { headers: headersFor(mandrillSignature(body)), body },
      { headers: headersFor(mandrillSignature(respelt)), body: respelt },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
    expect(runs[0]!.enqueued[0]).toMatchObject({ type: 'hard_bounce' })
  })

  it('every POST parameter is signed, sorted by name', async () => {
    const withExtra = form(events('m3'), 'aaa=first&')
    expect(await verifyCode(provider(), { headers: headersFor(mandrillSignature(withExtra)), body: withExtra })).toBe(
      'ok',
    )
    const dropped = form(events('m3'))
    expect(await verifyCode(provider(), { headers: headersFor(mandrillSignature(withExtra)), body: dropped })).toBe(
      'signature.invalid',
    )
  })

  it('the creation check: HEAD is answered 200 without a body', async () => {
    const p = provider()
    expect(p.handshakeMethods).toEqual(['HEAD'])
    expect(await p.handshake({ method: 'HEAD', url: URL, headers: {}, now: NOW_MS })).toEqual({ status: 200, body: '' })
  })

  it('the fallback check (empty batch signed with the public key "test-webhook") is answered, never queued', async () => {
    const empty = form('[]')
    const test = mandrillSignature(empty, URL, 'test-webhook')
    const r = await runOne(provider(), { headers: headersFor(test), body: empty, url: URL })
    expect([r.result.status, r.code, r.enqueued.length]).toEqual([200, 'handshake', 0])
    // The public key signs nothing else.
    const full = form(events('m4'))
    expect(
      await verifyCode(provider(), { headers: headersFor(mandrillSignature(full, URL, 'test-webhook')), body: full }),
    ).toBe('signature.invalid')
  })

  it('publicUrl behind a proxy; without it a relative request URL is a 500 that names the option', async () => {
    const internal = { headers: headersFor(mandrillSignature(body)), body, url: 'http://10.0.0.5:8080/in/mandrill' }
    expect((await runOne(provider(), internal)).code).toBe('accepted')
    const bare = await runOne(mandrill({ secret: KEY, crypto }), { ...internal, url: '/in/mandrill' })
    expect([bare.result.status, bare.code]).toEqual([500, 'receiver.misconfigured'])
    const absolute = await runOne(mandrill({ secret: KEY, crypto }), { ...internal, url: URL })
    expect(absolute.code).toBe('accepted')
  })

  it('signRequest signs as Mandrill documents', async () => {
    const signed = await signRequest(provider(), { body })
    expect([signed.headers['x-mandrill-signature'], signed.url]).toEqual([mandrillSignature(body), URL])
    await expect(signRequest(mandrill({ secret: KEY, crypto }), { body })).rejects.toThrow(/needs an absolute url/)
  })
})

describe('mandrill: signature and form parsing', () => {
  const body = form(events('m5'))
  const good = mandrillSignature(body)
  it.each([
    ['no header', 401, 'signature.missing', {}, body],
    ['unpadded base64', 400, 'signature.malformed', headersFor(good.replace(/=+$/, '')), body],
    ['a SHA-256 length MAC', 400, 'signature.malformed', headersFor(Buffer.alloc(32, 7).toString('base64')), body],
    ['hex', 400, 'signature.malformed', headersFor(Buffer.from(good, 'base64').toString('hex')), body],
    ['the header twice', 400, 'header.duplicated', { 'x-mandrill-signature': [good, good] }, body],
    ['a repeated parameter', 400, 'body.malformed', headersFor(good), `${body}&${body}`],
    ['a MAC of another URL', 401, 'signature.invalid', headersFor(mandrillSignature(body, `${URL}?x=1`)), body],
  ])('answers %s with %i %s', async (_title, status, code, headers, sent) => {
    const r = await runOne(mandrill({ secret: KEY, publicUrl: URL }), { headers, body: sent })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.result.body).not.toContain(good)
  })

  it('a verified body whose mandrill_events is not a JSON array is a 400', async () => {
    const notArray = 'mandrill_events={}'
    const r = await runOne(mandrill({ secret: KEY, publicUrl: URL }), {
      headers: headersFor(mandrillSignature(notArray)),
      body: notArray,
    })
    expect([r.result.status, r.code]).toEqual([400, 'body.malformed'])
  })
})

describe('mandrill: configuration', () => {
  it.each([
    ['an empty key', { secret: '' }, /secret is empty/],
    ['a relative publicUrl', { secret: KEY, publicUrl: '/mandrill' }, /publicUrl must be an absolute/],
    ['a tolerance', { secret: KEY, tolerance: 60 }, /signs no timestamp/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => mandrill(options as never))).toMatch(message)
  })
})
