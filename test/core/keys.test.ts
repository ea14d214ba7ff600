import { describe, expect, it } from 'vitest'
import { createReceiver, hmac, memoryStore, type QueuedEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'

// A generic HMAC scheme whose id comes from a header the signature covers, so any id can be sent validly signed.
const provider = hmac({
  name: 'acme',
  secret: 'acme-signing-secret-0123456789',
  signatureHeader: 'x-acme-signature',
  idHeader: 'x-acme-id',
  signedContent: '{id}.{body}',
})

async function send(receiver: ReturnType<typeof createReceiver>, id: string) {
  const body = JSON.stringify({ hello: id })
  const signed = await signRequest(provider, { body, id })
  return receiver.handle({ method: 'POST', headers: signed.headers, body })
}

describe('event ids become store keys', () => {
  it.each([
    ['a lone high surrogate', 'evt_\ud800'],
    ['a lone low surrogate', '\udc00evt'],
    ['a NUL', 'evt\u0000x'],
    ['a newline', 'evt\nx'],
    ['513 characters', 'x'.repeat(513)],
  ])('answers 400 id.invalid for an id with %s, before the store sees it', async (_what, id) => {
    const reserved: string[] = []
    const store = memoryStore()
    const spy = { ...store, reserve: (key: string, lease: number) => (reserved.push(key), store.reserve(key, lease)) }
    const receiver = createReceiver({ provider, store: spy, queue: { enqueue: async () => {} }, logger: false })
    const result = await send(receiver, id)
    if (result.status === 401) return // the scheme itself refused the header spelling: also never a key
    expect(result.status).toBe(400)
    expect(result.outcome).toMatchObject({ kind: 'rejected', code: 'id.invalid' })
    expect(reserved).toEqual([])
  })

  it('refuses an id whose key would pass the byte limit every store can hold, instead of a 503 loop', async () => {
    const receiver = createReceiver({
      provider,
      name: 'n'.repeat(100),
      queue: { enqueue: async () => {} },
      logger: false,
    })
    // 400 three-byte characters: 1200 bytes of id, more than any store's key should carry.
    const result = await send(receiver, '€'.repeat(400))
    expect(result.status).toBe(400)
    expect(result.outcome).toMatchObject({ code: 'id.invalid', reason: expect.stringMatching(/over 1024 bytes/) })
    // The same length in ASCII fits.
    expect((await send(receiver, 'e'.repeat(400))).status).toBe(200)
  })

  it('keeps tenants apart when the receiver name is a function of the request', async () => {
    const enqueued: QueuedEvent[] = []
    const receiver = createReceiver({
      provider,
      name: (request) => new URL(request.url ?? '/', 'http://x').pathname.split('/')[2] ?? 'none',
      queue: { enqueue: async (event) => void enqueued.push(event) },
      logger: false,
    })
    const body = JSON.stringify({ hello: 'same' })
    const signed = await signRequest(provider, { body, id: 'evt_same' })
    const a = await receiver.handle({ method: 'POST', url: 'https://h/hooks/tenant-a', headers: signed.headers, body })
    const b = await receiver.handle({ method: 'POST', url: 'https://h/hooks/tenant-b', headers: signed.headers, body })
    const again = await receiver.handle({
      method: 'POST',
      url: 'https://h/hooks/tenant-a',
      headers: signed.headers,
      body,
    })
    expect([a.outcome.kind, b.outcome.kind, again.outcome.kind]).toEqual(['accepted', 'accepted', 'duplicate'])
    expect(enqueued.map((e) => e.key)).toEqual(['acme:tenant-a:evt_same', 'acme:tenant-b:evt_same'])
    expect(a.outcome).toMatchObject({ receiver: 'tenant-a' })
  })

  it('a name function that throws or returns nonsense is a 500 naming the misconfiguration', async () => {
    for (const name of [
      () => {
        throw new Error('boom')
      },
      () => '' as string,
      () => 42 as unknown as string,
    ]) {
      const receiver = createReceiver({ provider, name, queue: { enqueue: async () => {} }, logger: false })
      const result = await send(receiver, 'evt_1')
      expect(result.status).toBe(500)
      expect(result.outcome).toMatchObject({ code: 'receiver.misconfigured' })
    }
  })
})
