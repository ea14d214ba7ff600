import { createHash, createPrivateKey, createVerify, generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createReceiver, sendgrid, type ProviderRequest, type QueuedEvent, type WebhookQueue } from '../../src/index.js'
import { nodeCryptoBackend, webCryptoBackend } from '../../src/crypto.js'
import { fixedClock, signRequest } from '../../src/testing.js'

// Published vector: sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js.
const VECTOR = {
  publicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
  otherKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==',
  signature: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
  badSignature: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=',
  timestamp: 1588788367,
  body: JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' }),
}

// A key pair made for these tests.
const PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+Gt7tLW+WwBYlUIDeql5Fjx9Dv4PlrPPQ7nJWwbL0edTFfkQ0MM1mlXYryxToUH0j3yfi6i/jtEVxsFF11mErw=='
const PRIVATE_KEY =
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrRuN+ZDDW82qzzeC73LdB0hvAeQ+96qcfmCscTrUus2hRANCAAT4a3u0tb5bAFiVQgN6qXkWPH0O/g+Ws89DuclbBsvR51MV+RDQwzWaVdivLFOhQfSPfJ+LqL+O0RXGwUXXWYSv'
const NOW = 1_767_225_600_000
const NOW_S = NOW / 1000
const BATCH = JSON.stringify([
  {
    email: 'a@example.com',
    timestamp: NOW_S - 5,
    event: 'delivered',
    sg_event_id: 'ZGVsaXZlcmVkLTAtMTIz',
    sg_message_id: 'msg.1',
  },
  {
    email: 'b@example.com',
    timestamp: NOW_S - 4,
    event: 'delivered',
    sg_event_id: 'ZGVsaXZlcmVkLTEtMTIz',
    sg_message_id: 'msg.2',
  },
])

function recordingQueue(): WebhookQueue & { events: QueuedEvent[] } {
  const events: QueuedEvent[] = []
  return { events, enqueue: async (event) => void events.push(event) }
}

function request(headers: Record<string, string>, body: string, now: number): ProviderRequest {
  return { method: 'POST', headers, body: new TextEncoder().encode(body), now }
}

/** Signed with node:crypto directly (DER signature), independent of hookguard's signer. */
function nodeSigned(
  body: string,
  timestamp: number,
  key = createPrivateKey({ key: Buffer.from(PRIVATE_KEY, 'base64'), format: 'der', type: 'pkcs8' }),
) {
  return {
    'x-twilio-email-event-webhook-signature': nodeSign('sha256', Buffer.from(`${timestamp}${body}`), key).toString(
      'base64',
    ),
    'x-twilio-email-event-webhook-timestamp': String(timestamp),
  }
}

const backends = [
  ['node', nodeCryptoBackend()!],
  ['web', webCryptoBackend()],
] as const

describe.each(backends)('sendgrid() with the %s crypto backend', (_label, crypto) => {
  const make = (extra: Record<string, unknown> = {}) =>
    sendgrid({ publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, crypto, ...extra })
  const handle = async (
    provider: ReturnType<typeof sendgrid>,
    headers: Record<string, string | string[]>,
    body = BATCH,
    now = NOW,
  ) => {
    const queue = recordingQueue()
    const result = await createReceiver({ provider, queue, now: () => now }).handle({ method: 'POST', headers, body })
    return { result, queue }
  }

  it('verifies the published SendGrid vector', async () => {
    const provider = sendgrid({ publicKey: VECTOR.publicKey, crypto })
    const headers = {
      'x-twilio-email-event-webhook-signature': VECTOR.signature,
      'x-twilio-email-event-webhook-timestamp': String(VECTOR.timestamp),
    }
    await expect(provider.verify(request(headers, VECTOR.body, VECTOR.timestamp * 1000))).resolves.toEqual({
      timestamp: VECTOR.timestamp,
    })
  })

  it.each([
    ['another key', { publicKey: VECTOR.otherKey }, VECTOR.signature, VECTOR.body, 'signature.invalid'],
    ['a changed body', {}, VECTOR.signature, 'payload', 'signature.invalid'],
    ['a changed signature', {}, VECTOR.badSignature, VECTOR.body, 'signature.invalid'],
  ])('rejects the published vector with %s', async (_title, over, signature, body, code) => {
    const provider = sendgrid({ publicKey: VECTOR.publicKey, crypto, ...over })
    const headers = {
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': String(VECTOR.timestamp),
    }
    await expect(provider.verify(request(headers, body, VECTOR.timestamp * 1000))).rejects.toMatchObject({ code })
  })

  it('accepts a batch signed with node:crypto; id is sha256 of the raw body, type the shared event', async () => {
    const { result, queue } = await handle(make(), nodeSigned(BATCH, NOW_S))
    expect(result.status).toBe(200)
    expect(queue.events[0]).toMatchObject({
      id: `sha256:${createHash('sha256').update(BATCH).digest('hex')}`,
      type: 'delivered',
      provider: 'sendgrid',
      timestamp: NOW_S,
    })
    expect(queue.events[0]!.payload).toHaveLength(2)
    expect(queue.events[0]!.headers['x-twilio-email-event-webhook-signature']).toBe('[redacted]')
  })

  it('a mixed batch gets type "batch"', async () => {
    const body = JSON.stringify([{ event: 'open' }, { event: 'click' }])
    expect((await handle(make(), nodeSigned(body, NOW_S), body)).queue.events[0]!.type).toBe('batch')
  })

  it('a retried batch (same bytes, new timestamp and signature) is a duplicate', async () => {
    const queue = recordingQueue()
    const clock = fixedClock(NOW)
    const receiver = createReceiver({ provider: make(), queue, now: clock })
    const first = await receiver.handle({ method: 'POST', headers: nodeSigned(BATCH, NOW_S), body: BATCH })
    clock.advance(60_000)
    const retry = await receiver.handle({ method: 'POST', headers: nodeSigned(BATCH, NOW_S + 60), body: BATCH })
    expect([first.outcome.kind, retry.outcome.kind]).toEqual(['accepted', 'duplicate'])
    expect(queue.events).toHaveLength(1)
  })

  it('hookguard/testing signatures pass node:crypto’s own ECDSA verifier', async () => {
    const signed = await signRequest(make(), { body: BATCH, timestamp: NOW_S })
    const verifier = createVerify('sha256').update(`${NOW_S}${BATCH}`)
    const key = { key: Buffer.from(PUBLIC_KEY, 'base64'), format: 'der' as const, type: 'spki' as const }
    expect(verifier.verify(key, signed.headers['x-twilio-email-event-webhook-signature']!, 'base64')).toBe(true)
    expect((await handle(make(), signed.headers)).result.status).toBe(200)
  })

  it('rejects stale and future timestamps (tolerance 300 s both ways)', async () => {
    for (const [offset, status] of [
      [-301, 401],
      [301, 401],
      [-300, 200],
      [300, 200],
    ] as const) {
      const body = BATCH.replace('msg.1', `msg.${offset}`)
      const { result } = await handle(make(), nodeSigned(body, NOW_S + offset), body)
      expect([offset, result.status]).toEqual([offset, status])
    }
  })

  it('stricter than SendGrid’s helper: the published vector, valid forever there, is stale here', async () => {
    const provider = sendgrid({ publicKey: VECTOR.publicKey, crypto })
    const headers = {
      'x-twilio-email-event-webhook-signature': VECTOR.signature,
      'x-twilio-email-event-webhook-timestamp': String(VECTOR.timestamp),
    }
    await expect(provider.verify(request(headers, VECTOR.body, NOW))).rejects.toMatchObject({
      code: 'timestamp.out_of_range',
    })
  })

  it('rejects a signature from another key and a changed body', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    expect((await handle(make(), nodeSigned(BATCH, NOW_S, other))).result.status).toBe(401)
    expect((await handle(make(), nodeSigned(BATCH, NOW_S), BATCH.replace('a@', 'c@'))).result.status).toBe(401)
  })

  it.each([
    ['missing signature', 401, (h: Record<string, string>) => ({ ...h, 'x-twilio-email-event-webhook-signature': '' })],
    ['missing timestamp', 401, ({ 'x-twilio-email-event-webhook-timestamp': _, ...h }: Record<string, string>) => h],
    [
      'timestamp not digits',
      400,
      (h: Record<string, string>) => ({ ...h, 'x-twilio-email-event-webhook-timestamp': 'timestamp' }),
    ],
    [
      'signature not base64',
      400,
      (h: Record<string, string>) => ({ ...h, 'x-twilio-email-event-webhook-signature': '!!' }),
    ],
    [
      'signature longer than any DER P-256 signature',
      400,
      (h: Record<string, string>) => ({
        ...h,
        'x-twilio-email-event-webhook-signature': Buffer.alloc(80, 1).toString('base64'),
      }),
    ],
    [
      'raw r||s instead of DER',
      401,
      (h: Record<string, string>) => ({
        ...h,
        'x-twilio-email-event-webhook-signature': Buffer.alloc(64, 1).toString('base64'),
      }),
    ],
  ])('%s → %i', async (_title, status, edit) => {
    const { result } = await handle(make(), edit(nodeSigned(BATCH, NOW_S)))
    expect(result.status).toBe(status)
  })

  it('a DER signature with non-minimal encoding is refused by both backends alike', async () => {
    const headers = nodeSigned(BATCH, NOW_S)
    const der = Buffer.from(headers['x-twilio-email-event-webhook-signature'], 'base64')
    // Re-encode r with a superfluous leading zero.
    const rLength = der[3]!
    const r = der.subarray(4, 4 + rLength)
    const rest = der.subarray(4 + rLength)
    const padded = Buffer.concat([Buffer.from([0x30, der[1]! + 1, 0x02, rLength + 1, 0x00]), r, rest])
    const { result, queue } = await handle(make(), {
      ...headers,
      'x-twilio-email-event-webhook-signature': padded.toString('base64'),
    })
    // 400 when the padding pushes it past 72 bytes (r already had its sign byte), else 401.
    expect(result.outcome.kind).toBe('rejected')
    expect(result.status).toBe(padded.length > 72 ? 400 : 401)
    expect(queue.events).toHaveLength(0)
  })

  it('a signed body that is not an array is a 400 after verification, never enqueued', async () => {
    const body = JSON.stringify({ event: 'delivered' })
    const { result, queue } = await handle(make(), nodeSigned(body, NOW_S), body)
    expect(result.status).toBe(400)
    expect(queue.events).toHaveLength(0)
  })
})

describe('sendgrid() configuration', () => {
  it('accepts the key as PEM too', async () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${PUBLIC_KEY.slice(0, 64)}\n${PUBLIC_KEY.slice(64)}\n-----END PUBLIC KEY-----\n`
    const provider = sendgrid({ publicKey: pem })
    await expect(provider.verify(request(nodeSigned(BATCH, NOW_S), BATCH, NOW))).resolves.toEqual({ timestamp: NOW_S })
  })

  it.each([
    ['missing', undefined],
    ['not base64', 'not a key'],
    [
      'a P-384 key',
      generateKeyPairSync('ec', { namedCurve: 'P-384' })
        .publicKey.export({ format: 'der', type: 'spki' })
        .toString('base64'),
    ],
    [
      'an Ed25519 key',
      generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    ],
    ['the raw point without the SPKI header', Buffer.from(PUBLIC_KEY, 'base64').subarray(26).toString('base64')],
    ['truncated', PUBLIC_KEY.slice(0, 40)],
  ])('refuses a publicKey that is %s with a TypeError naming the fix', (_title, publicKey) => {
    expect(() => sendgrid({ publicKey: publicKey as string })).toThrow(TypeError)
    expect(() => sendgrid({ publicKey: publicKey as string })).toThrow(/Mail Settings/)
  })

  it('refuses a bad privateKey and a bad tolerance', () => {
    expect(() => sendgrid({ publicKey: PUBLIC_KEY, privateKey: 'abc' })).toThrow(/PKCS#8/)
    expect(() => sendgrid({ publicKey: PUBLIC_KEY, tolerance: -1 })).toThrow(TypeError)
  })

  it('a privateKey of another pair fails at signing, and no privateKey means no signing', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .toString('base64')
    await expect(signRequest(sendgrid({ publicKey: PUBLIC_KEY, privateKey: other }), { body: BATCH })).rejects.toThrow(
      /does not belong/,
    )
    await expect(signRequest(sendgrid({ publicKey: PUBLIC_KEY }), { body: BATCH })).rejects.toThrow(/cannot sign/)
  })

  it('lists the signature header as sensitive', () => {
    expect(sendgrid({ publicKey: PUBLIC_KEY }).sensitiveHeaders).toEqual(['x-twilio-email-event-webhook-signature'])
  })
})
