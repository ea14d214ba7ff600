import { createHash, createHmac } from 'node:crypto'
// The signature helpers alone: the package root would load the whole REST client.
import { getExpectedTwilioSignature, validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js'
import { describe, expect, it } from 'vitest'
import { twilio } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const TOKEN = '9f3b2c1d8e7a6f5b4c3d2e1f0a9b8c7d'
const OTHER = '1234567890abcdef1234567890abcdef'
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2'
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
  Body: 'héllo & wörld + more',
}
const FORM = new URLSearchParams(PARAMS).toString()
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' }

function sdkSigned(url = URL_, params: Record<string, string> = PARAMS, token = TOKEN): Record<string, string> {
  return { ...FORM_HEADERS, 'x-twilio-signature': getExpectedTwilioSignature(token, url, params) }
}

describe('twilio: interop with the twilio SDK', () => {
  it('a form delivery signed by getExpectedTwilioSignature passes, given the absolute URL', async () => {
    const r = await runOne(twilio({ secret: TOKEN }), { url: URL_, headers: sdkSigned(), body: FORM })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]!.payload).toMatchObject(PARAMS)
    expect(r.enqueued[0]!.headers['x-twilio-signature']).toBe('[redacted]')
  })

  it('a delivery signed by signRequest passes validateRequest', async () => {
    const signed = await signRequest(twilio({ secret: TOKEN }), { body: FORM, url: URL_ })
    expect(validateRequest(TOKEN, signed.headers['x-twilio-signature']!, URL_, PARAMS)).toBe(true)
    expect(validateRequest(OTHER, signed.headers['x-twilio-signature']!, URL_, PARAMS)).toBe(false)
  })

  it('a JSON body signed through bodySHA256 passes both ways', async () => {
    const body = JSON.stringify({ MessageSid: 'SM1', MessageStatus: 'delivered', note: 'ünïcode' })
    const url = `https://example.com/hooks/status?bodySHA256=${createHash('sha256').update(body).digest('hex')}`
    const headers = {
      'content-type': 'application/json',
      'x-twilio-signature': getExpectedTwilioSignature(TOKEN, url, {}),
    }
    expect(validateRequestWithBody(TOKEN, headers['x-twilio-signature'], url, body)).toBe(true)
    const r = await runOne(twilio({ secret: TOKEN }), { url, headers, body })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]!.payload).toMatchObject({ MessageStatus: 'delivered' })

    const signed = await signRequest(twilio({ secret: TOKEN }), { body, url: 'https://example.com/hooks/status' })
    expect(signed.url).toBe(url)
    expect(validateRequestWithBody(TOKEN, signed.headers['x-twilio-signature']!, signed.url!, body)).toBe(true)
  })

  it('rejects a JSON body that does not match bodySHA256, although the URL signature is valid', async () => {
    const body = JSON.stringify({ MessageSid: 'SM1' })
    const url = `https://example.com/hooks/status?bodySHA256=${createHash('sha256').update(body).digest('hex')}`
    const headers = {
      'content-type': 'application/json',
      'x-twilio-signature': getExpectedTwilioSignature(TOKEN, url, {}),
    }
    const r = await runOne(twilio({ secret: TOKEN }), { url, headers, body: JSON.stringify({ MessageSid: 'SM2' }) })
    expect([r.result.status, r.code]).toEqual([401, 'signature.invalid'])
  })

  it('accepts a signature computed over the URL with the default port, as the SDK does', async () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2'
    const r = await runOne(twilio({ secret: TOKEN }), { url: URL_, headers: sdkSigned(withPort), body: FORM })
    expect(r.result.status).toBe(200)
    expect(validateRequest(TOKEN, sdkSigned(withPort)['x-twilio-signature']!, URL_, PARAMS)).toBe(true)
  })

  it('SharedKey webhooks: algorithm sha256 verifies HMAC_SHA256 signatures and refuses SHA-1 ones', async () => {
    const key = 'sharedkey-secret-0f1e2d3c4b5a6978'
    const headers = {
      ...FORM_HEADERS,
      'x-twilio-webhooks-signature-settings': 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256',
      'x-twilio-signature': getExpectedTwilioSignature(key, URL_, PARAMS, 'HMAC_SHA256'),
    }
    expect(
      (await runOne(twilio({ secret: key, algorithm: 'sha256' }), { url: URL_, headers, body: FORM })).result.status,
    ).toBe(200)
    // The request may not pick the algorithm: an Auth Token provider refuses it.
    expect((await runOne(twilio({ secret: TOKEN }), { url: URL_, headers, body: FORM })).result.status).toBe(401)
  })
})

describe.each(BACKENDS)('twilio with %s', (_n, crypto) => {
  const provider = (extra = {}) => twilio({ secret: TOKEN, crypto, ...extra })

  it('a captured delivery resent with a fresh idempotency token or reordered parameters is a duplicate (fingerprint)', async () => {
    const reordered = new URLSearchParams(Object.entries(PARAMS).reverse()).toString()
    const runs = await run(provider(), [
      { url: URL_, headers: { ...sdkSigned(), 'i-twilio-idempotency-token': 'tok-1' }, body: FORM },
      { url: URL_, headers: { ...sdkSigned(), 'i-twilio-idempotency-token': 'tok-2' }, body: FORM },
      { url: URL_, headers: sdkSigned(), body: reordered },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate', 'duplicate'])
    expect(runs[2]!.enqueued).toHaveLength(1)
  })

  it('refuses a form of more than 1000 parameters before any decoding (400)', async () => {
    const r = await runOne(provider(), { url: URL_, headers: sdkSigned(), body: 'a=b&'.repeat(1001) + 'c=d' })
    expect([r.result.status, r.code]).toEqual([400, 'body.malformed'])
  })

  it('behind a proxy: publicUrl (string or function) replaces the internal request URL', async () => {
    const internal = 'http://10.0.0.7:3000/myapp.php?foo=1&bar=2'
    expect((await runOne(provider(), { url: internal, headers: sdkSigned(), body: FORM })).code).toBe(
      'signature.invalid',
    )
    expect(
      (await runOne(provider({ publicUrl: URL_ }), { url: internal, headers: sdkSigned(), body: FORM })).code,
    ).toBe('accepted')
    const fromPath = provider({ publicUrl: (req: { url?: string }) => `https://mycompany.com${req.url}` })
    expect((await runOne(fromPath, { url: '/myapp.php?foo=1&bar=2', headers: sdkSigned(), body: FORM })).code).toBe(
      'accepted',
    )
  })

  it('a string publicUrl without a query takes the request’s query string, so bodySHA256 deliveries verify behind a proxy', async () => {
    const body = JSON.stringify({ CallSid: 'CA1', CallStatus: 'completed' })
    const query = `?bodySHA256=${createHash('sha256').update(body).digest('hex')}`
    const signedUrl = `https://example.com/hooks/voice${query}`
    const headers = {
      'content-type': 'application/json',
      'x-twilio-signature': getExpectedTwilioSignature(TOKEN, signedUrl, {}),
    }
    const p = provider({ publicUrl: 'https://example.com/hooks/voice' })
    expect((await runOne(p, { url: `/hooks/voice${query}`, headers, body })).code).toBe('accepted')
    expect((await runOne(p, { url: '/hooks/voice', headers, body })).code).toBe('signature.invalid')
  })

  it('a relative request URL without publicUrl is a 500 configuration error that names the fix', async () => {
    const r = await runOne(provider(), { url: '/myapp.php', headers: sdkSigned(), body: FORM })
    expect([r.result.status, r.code]).toEqual([500, 'receiver.misconfigured'])
    expect(r.result.outcome.kind === 'rejected' && r.result.outcome.reason).toMatch(/publicUrl/)
    expect(r.enqueued).toHaveLength(0)
  })

  it('uses I-Twilio-Idempotency-Token as the id, else a hash of the body; status callbacks of one message stay distinct', async () => {
    const token = { 'i-twilio-idempotency-token': 'b3f0c1d2-retry-stable' }
    const [a, b] = await run(provider(), [
      { url: URL_, headers: { ...sdkSigned(), ...token }, body: FORM },
      { url: URL_, headers: { ...sdkSigned(), ...token }, body: FORM },
    ])
    expect(a!.enqueued[0]!.id).toBe('b3f0c1d2-retry-stable')
    expect(b!.code).toBe('duplicate')
    const sent = { MessageSid: 'SM9', MessageStatus: 'sent' }
    const delivered = { MessageSid: 'SM9', MessageStatus: 'delivered' }
    const [c, d] = await run(provider(), [
      { url: URL_, headers: sdkSigned(URL_, sent), body: new URLSearchParams(sent).toString() },
      { url: URL_, headers: sdkSigned(URL_, delivered), body: new URLSearchParams(delivered).toString() },
    ])
    expect([c!.code, d!.code]).toEqual(['accepted', 'accepted'])
    expect(c!.enqueued[0]!.id).toBe(
      `sha256:${createHash('sha256').update(new URLSearchParams(sent).toString()).digest('hex')}`,
    )
  })

  it('signs repeated parameters the way the SDK does (each value, sorted)', async () => {
    const body = 'MediaUrl=https%3A%2F%2Fb.example%2F2&To=%2B1&MediaUrl=https%3A%2F%2Fa.example%2F1'
    const sig = getExpectedTwilioSignature(TOKEN, URL_, {
      MediaUrl: ['https://b.example/2', 'https://a.example/1'],
      To: '+1',
    } as never)
    expect(
      (await runOne(provider(), { url: URL_, headers: { ...FORM_HEADERS, 'x-twilio-signature': sig }, body })).code,
    ).toBe('accepted')
  })

  it.each([
    [
      'a forged signature',
      { 'x-twilio-signature': createHmac('sha1', OTHER).update(URL_).digest('base64') },
      401,
      'signature.invalid',
    ],
    ['a missing signature', { 'x-twilio-signature': '' }, 401, 'signature.missing'],
    ['a hex signature', { 'x-twilio-signature': 'ab'.repeat(20) }, 400, 'signature.malformed'],
    [
      'a SHA-256-length signature',
      { 'x-twilio-signature': createHmac('sha256', TOKEN).update(URL_).digest('base64') },
      400,
      'signature.malformed',
    ],
  ])('rejects %s', async (_t, extra, status, code) => {
    const r = await runOne(provider(), { url: URL_, headers: { ...sdkSigned(), ...extra }, body: FORM })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects changed parameters, a changed URL, and an unsigned JSON body', async () => {
    expect(
      (await runOne(provider(), { url: URL_, headers: sdkSigned(), body: FORM.replace('1234', '1235') })).code,
    ).toBe('signature.invalid')
    expect((await runOne(provider(), { url: `${URL_}&x=1`, headers: sdkSigned(), body: FORM })).code).toBe(
      'signature.invalid',
    )
    const json = JSON.stringify(PARAMS)
    const urlOnly = {
      'content-type': 'application/json',
      'x-twilio-signature': getExpectedTwilioSignature(TOKEN, URL_, {}),
    }
    expect((await runOne(provider(), { url: URL_, headers: urlOnly, body: json })).code).toBe('signature.invalid')
  })

  it('accepts either token during a rotation', async () => {
    const rotating = provider({ secret: [OTHER, TOKEN] })
    expect((await runOne(rotating, { url: URL_, headers: sdkSigned(URL_, PARAMS, TOKEN), body: FORM })).code).toBe(
      'accepted',
    )
    expect((await runOne(rotating, { url: URL_, headers: sdkSigned(URL_, PARAMS, OTHER), body: FORM })).code).toBe(
      'accepted',
    )
  })

  it('never echoes the token or the signature', async () => {
    const bad = sdkSigned(URL_, PARAMS, OTHER)['x-twilio-signature']!
    const r = await runOne(provider(), {
      url: URL_,
      headers: { ...FORM_HEADERS, 'x-twilio-signature': bad },
      body: FORM,
    })
    expect(everything(r)).not.toContain(TOKEN)
    expect(everything(r)).not.toContain(bad)
  })
})

describe('twilio: configuration', () => {
  it('refuses an Auth Token shorter than 32 characters (Twilio’s documented "12345" example included)', () => {
    expect(configMessage(() => twilio({ secret: '12345' }))).toMatch(/too short/)
    expect(configMessage(() => twilio({ secret: 'abcdef0123456789abcdef0123' }))).toMatch(/too short/)
  })
  it('refuses a relative publicUrl, a tolerance and an unknown algorithm', () => {
    expect(configMessage(() => twilio({ secret: TOKEN, publicUrl: '/sms' }))).toMatch(/publicUrl/)
    expect(configMessage(() => twilio({ secret: TOKEN, tolerance: 60 } as never))).toMatch(/no timestamp/)
    expect(configMessage(() => twilio({ secret: TOKEN, algorithm: 'md5' as never }))).toMatch(/algorithm/)
  })
})
