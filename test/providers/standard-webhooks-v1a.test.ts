import { generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { createReceiver, standardWebhooks, type QueuedEvent, type WebhookQueue } from '../../src/index.js'
import { nodeCryptoBackend, webCryptoBackend } from '../../src/crypto.js'
import { signRequest } from '../../src/testing.js'

// Published vector: the Standard Webhooks reference Go library's TestAsymmetricWebhookSign.
const VECTOR = {
  secretKey: 'whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=',
  // The public half of that seed, computed with node:crypto.
  publicKey: 'whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==',
}
const NOW = VECTOR.timestamp * 1000
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const BODY = JSON.stringify({ type: 'invoice.paid', data: { ref: 'inv_1' } })

function recordingQueue(): WebhookQueue & { events: QueuedEvent[] } {
  const events: QueuedEvent[] = []
  return { events, enqueue: async (event) => void events.push(event) }
}

function headers(id: string, timestamp: number, signature: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }
}

/** A v1a signature made by node:crypto directly, independent of hookguard's signer. */
function independentV1a(body: string, id: string, timestamp: number) {
  const pair = generateKeyPairSync('ed25519')
  const signature = nodeSign(null, Buffer.from(`${id}.${timestamp}.${body}`), pair.privateKey).toString('base64')
  const publicKey = `whpk_${pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64')}`
  return { signature: `v1a,${signature}`, publicKey }
}

const backends = [
  ['node', nodeCryptoBackend()!],
  ['web', webCryptoBackend()],
] as const

describe.each(backends)('standardWebhooks() v1a with the %s crypto backend', (_label, crypto) => {
  const verifier = (extra: Record<string, unknown> = {}) =>
    standardWebhooks({ publicKey: VECTOR.publicKey, crypto, ...extra })
  const handle = async (
    provider: ReturnType<typeof standardWebhooks>,
    h: Record<string, string | string[]>,
    body = VECTOR.body,
    now = NOW,
  ) => {
    const queue = recordingQueue()
    const result = await createReceiver({ provider, queue, now: () => now }).handle({
      method: 'POST',
      headers: h,
      body,
    })
    return { result, queue }
  }

  it('signs the published vector byte for byte from a 32-byte whsk_ seed', async () => {
    const provider = verifier({ privateKey: VECTOR.secretKey })
    const signed = await signRequest(provider, { body: VECTOR.body, id: VECTOR.id, timestamp: VECTOR.timestamp })
    expect(signed.headers['webhook-signature']).toBe(VECTOR.signature)
  })

  it('accepts the published vector with the whpk_ public key and enqueues it under webhook-id', async () => {
    const { result, queue } = await handle(verifier(), headers(VECTOR.id, VECTOR.timestamp, VECTOR.signature))
    expect(result.status).toBe(200)
    expect(queue.events[0]).toMatchObject({ id: VECTOR.id, timestamp: VECTOR.timestamp, provider: 'standard-webhooks' })
  })

  it('accepts the 64-byte whsk_ form (seed ‖ public key) and the unprefixed base64 public key', async () => {
    const seed = Buffer.from(VECTOR.secretKey.slice(5), 'base64')
    const pub = Buffer.from(VECTOR.publicKey.slice(5), 'base64')
    const long = `whsk_${Buffer.concat([seed, pub]).toString('base64')}`
    const provider = standardWebhooks({ publicKey: pub.toString('base64'), privateKey: long, crypto })
    const signed = await signRequest(provider, { body: VECTOR.body, id: VECTOR.id, timestamp: VECTOR.timestamp })
    expect(signed.headers['webhook-signature']).toBe(VECTOR.signature)
  })

  it('accepts a v1a signature made independently with node:crypto, also under svix-* headers', async () => {
    const { signature, publicKey } = independentV1a(BODY, 'msg_ind', VECTOR.timestamp)
    const provider = standardWebhooks({ publicKey, crypto })
    expect((await handle(provider, headers('msg_ind', VECTOR.timestamp, signature), BODY)).result.status).toBe(200)
    const svix = { 'svix-id': 'msg_ind', 'svix-timestamp': String(VECTOR.timestamp), 'svix-signature': signature }
    expect((await handle(provider, svix, BODY)).result.status).toBe(200)
  })

  it('accepts when any v1a entry matches, skipping unknown versions and other entries (reference multi-signature case)', async () => {
    const header = [
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      VECTOR.signature,
      'v1a,' + 'A'.repeat(86) + '==',
    ].join(' ')
    expect((await handle(verifier(), headers(VECTOR.id, VECTOR.timestamp, header))).result.status).toBe(200)
  })

  it('supports key rotation: any configured public key may match', async () => {
    const { publicKey: other } = independentV1a(BODY, 'x', 1)
    const provider = standardWebhooks({ publicKey: [other, VECTOR.publicKey], crypto })
    expect((await handle(provider, headers(VECTOR.id, VECTOR.timestamp, VECTOR.signature))).result.status).toBe(200)
  })

  it.each([
    ['a forged 64-byte signature', 'v1a,' + Buffer.alloc(64, 7).toString('base64')],
    ['a 32-byte (HMAC-sized) v1a value', 'v1a,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='],
    ['an empty v1a value', 'v1a,'],
    ['non-canonical base64', VECTOR.signature.replace('Ag==', 'Ah==')],
    ['base64url instead of base64', VECTOR.signature.replace(/\//g, '_')],
  ])('rejects %s with 401', async (_title, signature) => {
    const { result, queue } = await handle(verifier(), headers(VECTOR.id, VECTOR.timestamp, signature))
    expect(result.status).toBe(401)
    expect(queue.events).toHaveLength(0)
  })

  it('rejects a changed body, id or timestamp', async () => {
    expect(
      (await handle(verifier(), headers(VECTOR.id, VECTOR.timestamp, VECTOR.signature), VECTOR.body.replace('2', '3')))
        .result.status,
    ).toBe(401)
    expect((await handle(verifier(), headers('msg_other', VECTOR.timestamp, VECTOR.signature))).result.status).toBe(401)
    expect((await handle(verifier(), headers(VECTOR.id, VECTOR.timestamp + 1, VECTOR.signature))).result.status).toBe(
      401,
    )
  })

  it('rejects stale and future timestamps in both directions', async () => {
    const provider = verifier({ privateKey: VECTOR.secretKey })
    for (const [offset, status] of [
      [-301, 401],
      [301, 401],
      [-299, 200],
      [299, 200],
    ] as const) {
      const signed = await signRequest(provider, {
        body: BODY,
        id: `msg_${offset + 1000}`,
        timestamp: VECTOR.timestamp + offset,
      })
      const { result } = await handle(provider, signed.headers, BODY)
      expect([offset, result.status]).toEqual([offset, status])
    }
  })

  it('a v1-only receiver never accepts v1a entries, a v1a-only receiver never accepts v1 entries', async () => {
    const both = standardWebhooks({ secret: SECRET, publicKey: VECTOR.publicKey, privateKey: VECTOR.secretKey, crypto })
    const signed = await signRequest(both, { body: BODY, id: 'msg_both', timestamp: VECTOR.timestamp })
    const [v1, v1a] = signed.headers['webhook-signature']!.split(' ')
    expect(v1).toMatch(/^v1,/)
    expect(v1a).toMatch(/^v1a,/)
    const v1Only = standardWebhooks({ secret: SECRET, crypto })
    const v1aOnly = standardWebhooks({ publicKey: VECTOR.publicKey, crypto })
    const h = (signature: string) => headers('msg_both', VECTOR.timestamp, signature)
    expect((await handle(v1Only, h(v1a!), BODY)).result.status).toBe(401)
    expect((await handle(v1aOnly, h(v1!), BODY)).result.status).toBe(401)
    expect((await handle(v1Only, h(v1!), BODY)).result.status).toBe(200)
    expect((await handle(v1aOnly, h(v1a!), BODY)).result.status).toBe(200)
    // A receiver with both keys takes either, and both together.
    expect((await handle(both, h(v1!), BODY)).result.status).toBe(200)
    expect((await handle(both, h(v1a!), BODY)).result.status).toBe(200)
    expect((await handle(both, signed.headers, BODY)).result.status).toBe(200)
  })

  it('a v1 signature computed with the public key bytes as an HMAC key is refused (no key confusion)', async () => {
    const keyBytes = Buffer.from(VECTOR.publicKey.slice(5), 'base64')
    const { createHmac } = await import('node:crypto')
    const mac = createHmac('sha256', keyBytes)
      .update(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`)
      .digest('base64')
    expect((await handle(verifier(), headers(VECTOR.id, VECTOR.timestamp, `v1,${mac}`))).result.status).toBe(401)
  })
})

describe('standardWebhooks() v1a interop with the standardwebhooks package', () => {
  it('a header carrying both v1 and v1a passes the reference (v1-only) verifier', async () => {
    const provider = standardWebhooks({ secret: SECRET, publicKey: VECTOR.publicKey, privateKey: VECTOR.secretKey })
    const signed = await signRequest(provider, { body: BODY, id: 'msg_interop' })
    expect(signed.headers['webhook-signature']).toMatch(/^v1,\S+ v1a,\S+$/)
    const verified = new Webhook(SECRET).verify(signed.body as string, signed.headers)
    expect(verified).toEqual(JSON.parse(BODY))
  })

  it('v1 behaviour is unchanged: the reference library’s v1 signature passes a secret-only receiver', async () => {
    const wh = new Webhook(SECRET)
    const date = new Date(NOW)
    const signature = wh.sign('msg_ref', date, BODY)
    const result = await createReceiver({
      provider: standardWebhooks({ secret: SECRET }),
      queue: recordingQueue(),
      now: () => NOW,
    }).handle({
      method: 'POST',
      headers: headers('msg_ref', VECTOR.timestamp, signature),
      body: BODY,
    })
    expect(result.status).toBe(200)
  })
})

describe('standardWebhooks() v1a configuration', () => {
  const pub = VECTOR.publicKey
  it.each([
    ['neither secret nor publicKey', {}, /give secret .* or publicKey/],
    [
      'a 31-byte public key',
      { publicKey: `whpk_${Buffer.alloc(31, 1).toString('base64')}` },
      /whpk_ followed by standard base64 of 32 bytes/,
    ],
    ['a 64-byte public key', { publicKey: `whpk_${Buffer.alloc(64, 1).toString('base64')}` }, /32 bytes/],
    ['a public key that is not base64', { publicKey: 'whpk_not base64!' }, /base64/],
    ['the secret key given as publicKey', { publicKey: VECTOR.secretKey }, /that is the secret key/],
    ['a whsec_ secret given as publicKey', { publicKey: SECRET }, /v1 secret belongs in secret/],
    ['an empty publicKey list', { publicKey: [] }, /publicKey list is empty/],
    ['a privateKey without publicKey', { secret: SECRET, privateKey: VECTOR.secretKey }, /needs publicKey/],
    [
      'a 48-byte privateKey',
      { publicKey: pub, privateKey: `whsk_${Buffer.alloc(48, 1).toString('base64')}` },
      /32 or 64 bytes/,
    ],
    ['the public key given as privateKey', { publicKey: pub, privateKey: pub }, /that is the public key/],
    [
      'a 64-byte privateKey whose public half differs',
      {
        publicKey: pub,
        privateKey: `whsk_${Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]).toString('base64')}`,
      },
      /does not belong to publicKey/,
    ],
  ])('refuses %s with a TypeError', (_title, options, message) => {
    expect(() => standardWebhooks(options as never)).toThrow(TypeError)
    expect(() => standardWebhooks(options as never)).toThrow(message)
  })

  it('a 32-byte privateKey that does not match publicKey fails at signing, not silently', async () => {
    const provider = standardWebhooks({ publicKey: pub, privateKey: `whsk_${Buffer.alloc(32, 9).toString('base64')}` })
    await expect(signRequest(provider, { body: BODY })).rejects.toThrow(/does not belong to publicKey/)
  })

  it('a public-key-only receiver cannot sign', async () => {
    await expect(signRequest(standardWebhooks({ publicKey: pub }), { body: BODY })).rejects.toThrow(/cannot sign/)
  })
})
