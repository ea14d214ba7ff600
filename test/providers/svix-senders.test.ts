/**
 * Clerk, Resend and Brex: senders built on Standard Webhooks (Svix). Each is
 * checked against the svix package's signer and verifier, and Clerk and
 * Resend against their own SDKs' verifiers.
 */
import { verifyWebhook } from '@clerk/backend/webhooks'
import { Resend } from 'resend'
import { Webhook } from 'svix'
import { describe, expect, it } from 'vitest'
import { brex, clerk, resend, type Provider } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_S, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OTHER = 'whsec_' + Buffer.from('another-sender-secret-32-bytes!!').toString('base64')

const SENDERS = [
  {
    name: 'clerk',
    make: clerk,
    body: JSON.stringify({
      type: 'user.created',
      object: 'event',
      data: { id: 'user_29w83sxmDNGwOuEthce5gg56FcC', first_name: 'Zoë' },
    }),
    type: 'user.created',
    prefix: 'svix',
  },
  {
    name: 'resend',
    make: resend,
    body: JSON.stringify({
      type: 'email.delivered',
      created_at: '2023-11-14T22:13:20.000Z',
      data: { email_id: '56761188-7520-42d8-8898-ff6fc54ce618' },
    }),
    type: 'email.delivered',
    prefix: 'svix',
  },
  {
    name: 'brex',
    make: brex,
    body: JSON.stringify({ event_type: 'TRANSFER_PROCESSED', transfer_id: 'tx_1', company_id: 'c_1' }),
    type: 'TRANSFER_PROCESSED',
    prefix: 'webhook',
  },
] as const

/** svix's own signer, with the header spelling the sender uses. */
function svixSigned(prefix: string, body: string, id = 'msg_2Lh9KRb0pzN4LePd3XiA4ivNSOW', at = NOW_S, secret = SECRET) {
  const signature = new Webhook(secret).sign(id, new Date(at * 1000), body)
  return { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: String(at), [`${prefix}-signature`]: signature }
}

describe.each(SENDERS)('$name: Standard Webhooks under its own name', (sender) => {
  describe.each(BACKENDS)('with %s', (_backend, crypto) => {
    const provider = (): Provider => sender.make({ secret: SECRET, crypto })

    it('accepts what svix signs; id the signed message id, type from the body, provider name its own', async () => {
      const r = await runOne(provider(), { headers: svixSigned(sender.prefix, sender.body), body: sender.body })
      expect(r.result.status).toBe(200)
      expect(r.enqueued[0]).toMatchObject({
        id: 'msg_2Lh9KRb0pzN4LePd3XiA4ivNSOW',
        type: sender.type,
        provider: sender.name,
        timestamp: NOW_S,
      })
      expect(r.enqueued[0]!.headers[`${sender.prefix}-signature`]).toBe('[redacted]')
    })

    it('reads either header spelling; a retry (same id, new timestamp) is a duplicate', async () => {
      const other = sender.prefix === 'svix' ? 'webhook' : 'svix'
      const runs = await run(provider(), [
        { headers: svixSigned(sender.prefix, sender.body), body: sender.body },
        { headers: svixSigned(other, sender.body, undefined, NOW_S + 30), body: sender.body },
      ])
      expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
    })

    it('refuses a changed body, another secret, a stale or future timestamp; accepts a rotation list', async () => {
      const headers = svixSigned(sender.prefix, sender.body)
      expect(
        await verifyCode(provider(), {
          headers,
          body: sender.body.replace('_1', '_2').replace('Zoë', 'Zoe').replace('56761188', '56761189'),
        }),
      ).toBe('signature.invalid')
      const other = svixSigned(sender.prefix, sender.body, undefined, NOW_S, OTHER)
      expect(await verifyCode(provider(), { headers: other, body: sender.body })).toBe('signature.invalid')
      expect(
        await verifyCode(sender.make({ secret: [SECRET, OTHER], crypto }), { headers: other, body: sender.body }),
      ).toBe('ok')
      const stale = svixSigned(sender.prefix, sender.body, undefined, NOW_S - 301)
      const future = svixSigned(sender.prefix, sender.body, undefined, NOW_S + 301)
      expect(await verifyCode(provider(), { headers: stale, body: sender.body })).toBe('timestamp.out_of_range')
      expect(await verifyCode(provider(), { headers: future, body: sender.body })).toBe('timestamp.out_of_range')
    })

    it('signRequest writes the sender’s header spelling, and svix verifies it', async () => {
      const signed = await signRequest(provider(), {
        body: sender.body,
        id: 'msg_1',
        timestamp: Math.floor(Date.now() / 1000),
      })
      expect(Object.keys(signed.headers)).toContain(`${sender.prefix}-signature`)
      expect(new Webhook(SECRET).verify(sender.body, signed.headers)).toEqual(JSON.parse(sender.body))
    })
  })

  it('configuration: a whsec_ secret is required; public keys and tolerance 0 are refused', () => {
    expect(configMessage(() => sender.make({} as never))).toMatch(
      new RegExp(`^hookguard: ${sender.name}: pass \\{ secret \\}`),
    )
    expect(configMessage(() => sender.make({ secret: SECRET, publicKey: 'whpk_x' } as never))).toMatch(
      /standardWebhooks\(\)/,
    )
    expect(configMessage(() => sender.make({ secret: SECRET, tolerance: 0 }))).toMatch(/tolerance must be/)
    expect(configMessage(() => sender.make({ secret: 'whsec_!!!' }))).toMatch(/whsec_ followed by base64/)
    expect(sender.make({ secret: SECRET }).name).toBe(sender.name)
  })
})

describe('clerk: interop with @clerk/backend’s verifyWebhook', () => {
  it('Clerk’s verifier accepts what signRequest produces (svix-* headers)', async () => {
    const body = SENDERS[0].body
    const signed = await signRequest(clerk({ secret: SECRET }), { body, id: 'msg_clerk_1' })
    const request = new Request('https://example.com/webhooks/clerk', { method: 'POST', headers: signed.headers, body })
    const event = await verifyWebhook(request, { signingSecret: SECRET })
    expect(event).toMatchObject({ type: 'user.created', data: { id: 'user_29w83sxmDNGwOuEthce5gg56FcC' } })
    const forged = new Request('https://example.com/webhooks/clerk', {
      method: 'POST',
      headers: signed.headers,
      body: body.replace('Zoë', 'Eve'),
    })
    await expect(verifyWebhook(forged, { signingSecret: SECRET })).rejects.toThrow()
  })
})

describe('resend: interop with the resend SDK’s webhooks.verify', () => {
  it('Resend’s verifier accepts what signRequest produces, and hookguard accepts svix-signed Resend events', async () => {
    const body = SENDERS[1].body
    const signed = await signRequest(resend({ secret: SECRET }), { body, id: 'msg_resend_1' })
    const sdk = new Resend('re_hookguard_test_key')
    const headers = {
      id: signed.headers['svix-id']!,
      timestamp: signed.headers['svix-timestamp']!,
      signature: signed.headers['svix-signature']!,
    }
    expect(sdk.webhooks.verify({ payload: body, headers, webhookSecret: SECRET })).toMatchObject({
      type: 'email.delivered',
    })
    expect(() => sdk.webhooks.verify({ payload: body, headers, webhookSecret: OTHER })).toThrow()
    expect(await verifyCode(resend({ secret: SECRET }), { headers: signed.headers, body }, Date.now())).toBe('ok')
  })
})
