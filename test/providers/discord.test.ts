import { generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import { verifyKey } from 'discord-interactions'
import { describe, expect, it } from 'vitest'
import { createReceiver, discord, memoryQueue, type QueuedEvent, type WebhookQueue } from '../../src/index.js'
import { nodeCryptoBackend, webCryptoBackend } from '../../src/crypto.js'
import { fixedClock, signRequest } from '../../src/testing.js'

// A key pair made for these tests (seed → public key computed with node:crypto).
const SEED = '6f9a1c3e5b7d2f4a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a'
const PUBLIC_KEY = '96bab99ebcad86927c0cf42ab071f53667af0d76890b9515fbf25875ee527cae'
const NOW = 1_767_225_600_000 // 2026-01-01T00:00:00Z
const NOW_S = NOW / 1000

// Example bodies from discord-interactions' own tests.
const PING = JSON.stringify({
  id: '787053080478613555',
  token: 'ThisIsATokenFromDiscordThatIsVeryLong',
  type: 1,
  version: 1,
})
const COMMAND = JSON.stringify({
  id: '787053080478613556',
  token: 'ThisIsATokenFromDiscordThatIsVeryLong',
  type: 2,
  version: 1,
  data: { id: '787053080478613554', name: 'test' },
})

function recordingQueue(): WebhookQueue & { events: QueuedEvent[] } {
  const events: QueuedEvent[] = []
  return { events, enqueue: async (event) => void events.push(event) }
}

/** Signs the way Discord does (and discord-interactions' tests do): node's own Ed25519, hex signature. */
function sdkStyleSign(body: string, timestamp: string, keyPair = generateKeyPairSync('ed25519')) {
  const signature = nodeSign(null, Buffer.from(timestamp + body), keyPair.privateKey).toString('hex')
  const publicKey = keyPair.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex')
  return { signature, publicKey }
}

const backends = [
  ['node', nodeCryptoBackend()!],
  ['web', webCryptoBackend()],
] as const

describe.each(backends)('discord() with the %s crypto backend', (_label, crypto) => {
  const make = (extra: Record<string, unknown> = {}) =>
    discord({ publicKey: PUBLIC_KEY, privateKey: SEED, crypto, ...extra })

  it('accepts a signed command, enqueues it with the interaction id and type name', async () => {
    const queue = recordingQueue()
    const provider = make()
    const receiver = createReceiver({ provider, queue, now: () => NOW })
    const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S })
    const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
    expect(result.status).toBe(200)
    expect(result.outcome.kind).toBe('accepted')
    expect(queue.events).toHaveLength(1)
    expect(queue.events[0]).toMatchObject({
      id: '787053080478613556',
      type: 'APPLICATION_COMMAND',
      provider: 'discord',
      timestamp: NOW_S,
    })
    expect(queue.events[0]!.headers['x-signature-ed25519']).toBe('[redacted]')
  })

  it.each([
    [2, { type: 5 }],
    [5, { type: 5 }],
    [3, { type: 6 }],
    [4, { type: 8, data: { choices: [] } }],
  ])('answers an accepted interaction of type %i with a deferred interaction response %j', async (type, expected) => {
    const queue = recordingQueue()
    const provider = make()
    const receiver = createReceiver({ provider, queue, now: () => NOW })
    const body = JSON.stringify({ id: `80000000000000000${type}`, type, token: 'tok', data: { name: 'x' } })
    const signed = await signRequest(provider, { body, timestamp: NOW_S })
    const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
    expect(result.status).toBe(200)
    expect(result.headers['content-type']).toBe('application/json')
    expect(JSON.parse(result.body)).toEqual(expected)
    expect(result.outcome.kind).toBe('accepted')
    expect(queue.events).toHaveLength(1)
  })

  it('respond lets the application choose the interaction response (here: ephemeral deferral)', async () => {
    const provider = make({ respond: () => ({ type: 5, data: { flags: 64 } }) })
    const receiver = createReceiver({ provider, queue: recordingQueue(), now: () => NOW })
    const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S })
    const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
    expect(JSON.parse(result.body)).toEqual({ type: 5, data: { flags: 64 } })
  })

  it('nothing but a verified, queued interaction gets an interaction response: a failing queue gets 503', async () => {
    const provider = make()
    const receiver = createReceiver({
      provider,
      queue: { enqueue: async () => Promise.reject(new Error('down')) },
      now: () => NOW,
      logger: false,
    })
    const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S })
    const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
    expect(result.status).toBe(503)
    expect(result.body).not.toContain('"type":5')
  })

  it('answers the PING with {"type":1} as JSON and enqueues nothing', async () => {
    const queue = memoryQueue()
    const provider = make()
    const receiver = createReceiver({ provider, queue, now: () => NOW })
    const signed = await signRequest(provider, { body: PING, timestamp: NOW_S })
    const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
    expect(result.status).toBe(200)
    expect(result.headers['content-type']).toBe('application/json')
    expect(JSON.parse(result.body)).toEqual({ type: 1 })
    expect(result.outcome).toMatchObject({ kind: 'handshake', provider: 'discord', type: 'PING' })
    expect((await queue.stats()).pending).toBe(0)
    await receiver.close()
  })

  it('verifies the PING before answering it: an unsigned or forged PING gets 401', async () => {
    const receiver = createReceiver({ provider: make(), queue: recordingQueue(), now: () => NOW })
    const unsigned = await receiver.handle({
      method: 'POST',
      headers: { 'x-signature-timestamp': String(NOW_S) },
      body: PING,
    })
    expect(unsigned.status).toBe(401)
    const forged = await receiver.handle({
      method: 'POST',
      headers: { 'x-signature-timestamp': String(NOW_S), 'x-signature-ed25519': 'ab'.repeat(64) },
      body: PING,
    })
    expect(forged.status).toBe(401)
    expect(forged.body).not.toContain('"type":1')
  })

  it('rejects a body changed after signing, and a signature made with another key', async () => {
    const queue = recordingQueue()
    const provider = make()
    const receiver = createReceiver({ provider, queue, now: () => NOW })
    const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S })
    const tampered = await receiver.handle({
      method: 'POST',
      headers: signed.headers,
      body: COMMAND.replace('test', 'tost'),
    })
    expect(tampered.status).toBe(401)
    const other = sdkStyleSign(COMMAND, String(NOW_S))
    const wrongKey = await receiver.handle({
      method: 'POST',
      headers: { 'x-signature-ed25519': other.signature, 'x-signature-timestamp': String(NOW_S) },
      body: COMMAND,
    })
    expect(wrongKey.status).toBe(401)
    expect(queue.events).toHaveLength(0)
  })

  it('rejects stale and future timestamps (default tolerance 300 s), accepts the edges', async () => {
    const provider = make()
    const clock = fixedClock(NOW)
    const receiver = createReceiver({ provider, queue: recordingQueue(), now: clock })
    for (const [offset, status] of [
      [-301, 401],
      [301, 401],
      [-300, 200],
      [300, 200],
    ] as const) {
      const body = JSON.stringify({ id: `9000${offset + 1000}`, type: 2, data: { name: 'x' } })
      const signed = await signRequest(provider, { body, timestamp: NOW_S + offset })
      const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
      expect([offset, result.status]).toEqual([offset, status])
      if (status === 401) expect(result.outcome).toMatchObject({ code: 'timestamp.out_of_range' })
    }
  })

  it('honours a custom tolerance', async () => {
    const provider = make({ tolerance: 30 })
    const receiver = createReceiver({ provider, queue: recordingQueue(), now: () => NOW })
    const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S - 31 })
    expect((await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })).status).toBe(401)
  })

  it.each([
    ['missing signature', 401, 'signature.missing', { 'x-signature-timestamp': String(NOW_S) }],
    ['missing timestamp', 401, 'timestamp.missing', { 'x-signature-ed25519': 'ab'.repeat(64) }],
    [
      'signature not hex',
      400,
      'signature.malformed',
      { 'x-signature-ed25519': 'zz'.repeat(64), 'x-signature-timestamp': String(NOW_S) },
    ],
    [
      'signature too short',
      400,
      'signature.malformed',
      { 'x-signature-ed25519': 'ab'.repeat(63), 'x-signature-timestamp': String(NOW_S) },
    ],
    [
      'signature odd length',
      400,
      'signature.malformed',
      { 'x-signature-ed25519': 'a'.repeat(127), 'x-signature-timestamp': String(NOW_S) },
    ],
    [
      'timestamp with a sign',
      400,
      'timestamp.malformed',
      { 'x-signature-ed25519': 'ab'.repeat(64), 'x-signature-timestamp': `+${NOW_S}` },
    ],
    [
      'timestamp with a fraction',
      400,
      'timestamp.malformed',
      { 'x-signature-ed25519': 'ab'.repeat(64), 'x-signature-timestamp': `${NOW_S}.5` },
    ],
  ])('%s → %i %s', async (_title, status, code, headers) => {
    const receiver = createReceiver({ provider: make(), queue: recordingQueue(), now: () => NOW })
    const result = await receiver.handle({ method: 'POST', headers, body: COMMAND })
    expect(result.status).toBe(status)
    expect(result.outcome).toMatchObject({ kind: 'rejected', code })
  })

  it('refuses a duplicated signature header instead of picking one', async () => {
    const provider = make()
    const receiver = createReceiver({ provider, queue: recordingQueue(), now: () => NOW })
    const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S })
    const good = signed.headers['x-signature-ed25519']!
    const result = await receiver.handle({
      method: 'POST',
      headers: { ...signed.headers, 'x-signature-ed25519': [good, 'ab'.repeat(64)] },
      body: signed.body,
    })
    expect(result.status).toBe(400)
    expect(result.outcome).toMatchObject({ code: 'header.duplicated' })
  })

  it('drops a redelivery of the same interaction as a duplicate', async () => {
    const queue = recordingQueue()
    const provider = make()
    const receiver = createReceiver({ provider, queue, now: () => NOW })
    for (let i = 0; i < 2; i++) {
      const signed = await signRequest(provider, { body: COMMAND, timestamp: NOW_S + i })
      await receiver.handle({ method: 'POST', headers: signed.headers, body: signed.body })
    }
    expect(queue.events).toHaveLength(1)
  })
})

describe('discord() interop with discord-interactions', () => {
  it('discord-interactions verifyKey accepts a hookguard-signed request', async () => {
    const provider = discord({ publicKey: PUBLIC_KEY, privateKey: SEED })
    const signed = await signRequest(provider, { body: COMMAND })
    const ok = await verifyKey(
      signed.body as string,
      signed.headers['x-signature-ed25519']!,
      signed.headers['x-signature-timestamp']!,
      PUBLIC_KEY,
    )
    expect(ok).toBe(true)
  })

  it('hookguard accepts a request signed the way discord-interactions signs (node Ed25519, hex)', async () => {
    const timestamp = String(NOW_S)
    const { signature, publicKey } = sdkStyleSign(COMMAND, timestamp)
    expect(await verifyKey(COMMAND, signature, timestamp, publicKey)).toBe(true)
    const queue = recordingQueue()
    const receiver = createReceiver({ provider: discord({ publicKey }), queue, now: () => NOW })
    const result = await receiver.handle({
      method: 'POST',
      headers: { 'X-Signature-Ed25519': signature, 'X-Signature-Timestamp': timestamp },
      body: Buffer.from(COMMAND),
    })
    expect(result.status).toBe(200)
    expect(queue.events[0]!.id).toBe('787053080478613556')
  })

  it('stricter than discord-interactions: a far-future timestamp that verifyKey accepts is refused', async () => {
    const future = String(NOW_S + 365 * 24 * 3600)
    const { signature, publicKey } = sdkStyleSign(COMMAND, future)
    expect(await verifyKey(COMMAND, signature, future, publicKey)).toBe(true)
    const receiver = createReceiver({ provider: discord({ publicKey }), queue: recordingQueue(), now: () => NOW })
    const result = await receiver.handle({
      method: 'POST',
      headers: { 'x-signature-ed25519': signature, 'x-signature-timestamp': future },
      body: COMMAND,
    })
    expect(result.status).toBe(401)
    expect(result.outcome).toMatchObject({ code: 'timestamp.out_of_range' })
  })

  it('stricter than discord-interactions: a week-old replay that verifyKey accepts is refused', async () => {
    const old = String(NOW_S - 7 * 24 * 3600)
    const { signature, publicKey } = sdkStyleSign(COMMAND, old)
    expect(await verifyKey(COMMAND, signature, old, publicKey)).toBe(true)
    const receiver = createReceiver({ provider: discord({ publicKey }), queue: recordingQueue(), now: () => NOW })
    expect(
      (
        await receiver.handle({
          method: 'POST',
          headers: { 'x-signature-ed25519': signature, 'x-signature-timestamp': old },
          body: COMMAND,
        })
      ).status,
    ).toBe(401)
  })
})

describe('discord() configuration', () => {
  it.each([
    ['missing', undefined],
    ['31 bytes', PUBLIC_KEY.slice(2)],
    ['33 bytes', PUBLIC_KEY + '00'],
    ['not hex', 'g'.repeat(64)],
    ['padded with whitespace', ` ${PUBLIC_KEY}`],
    ['base64 instead of hex', Buffer.from(PUBLIC_KEY, 'hex').toString('base64')],
  ])('refuses a publicKey that is %s with a TypeError naming the fix', (_title, publicKey) => {
    expect(() => discord({ publicKey: publicKey as string })).toThrow(TypeError)
    expect(() => discord({ publicKey: publicKey as string })).toThrow(/publicKey must be/)
  })

  it('refuses a respond option that is not a function', () => {
    expect(() => discord({ publicKey: PUBLIC_KEY, respond: 'yes' as never })).toThrow(/respond must be a function/)
  })

  it('refuses a malformed privateKey and a bad tolerance', () => {
    expect(() => discord({ publicKey: PUBLIC_KEY, privateKey: 'abcd' })).toThrow(/privateKey must be 64 hex digits/)
    expect(() => discord({ publicKey: PUBLIC_KEY, tolerance: 0 })).toThrow(TypeError)
    expect(() => discord({ publicKey: PUBLIC_KEY, tolerance: Number.NaN })).toThrow(TypeError)
  })

  it('cannot sign without a privateKey, and refuses a privateKey that is not the public key’s twin', async () => {
    await expect(signRequest(discord({ publicKey: PUBLIC_KEY }), { body: COMMAND })).rejects.toThrow(/cannot sign/)
    const mismatched = discord({ publicKey: PUBLIC_KEY, privateKey: 'a1'.repeat(32) })
    await expect(signRequest(mismatched, { body: COMMAND })).rejects.toThrow(/privateKey does not belong to publicKey/)
  })

  it('lists the signature header as sensitive', () => {
    expect(discord({ publicKey: PUBLIC_KEY }).sensitiveHeaders).toContain('x-signature-ed25519')
  })
})
