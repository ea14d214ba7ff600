import { describe, expect, it } from 'vitest'
import { hookguard } from '../../adapters/fetch.js'
import { github } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { QueuedEvent } from '../../src/types/index.js'

const provider = github({ secret: 'fetch-adapter-github-secret' })

describe('hookguard/fetch', () => {
  it('is a (Request) => Promise<Response> handler', async () => {
    const enqueued: QueuedEvent[] = []
    const handler = hookguard(createReceiver({ provider, queue: { enqueue: async (e) => void enqueued.push(e) } }))
    const payload = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 })
    const signed = await signRequest(provider, {
      body: payload,
      id: 'delivery-1',
      headers: { 'x-github-event': 'ping' },
    })
    const res = await handler(
      new Request('https://example.com/api/webhooks', { method: 'POST', headers: signed.headers, body: payload }),
    )
    expect(res).toBeInstanceOf(Response)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, status: 'accepted', id: 'delivery-1' })
    expect(enqueued[0]).toMatchObject({ id: 'delivery-1', type: 'ping', provider: 'github' })
  })

  it('refuses a Request whose body was already read', async () => {
    const handler = hookguard(createReceiver({ provider, logger: false }))
    const request = new Request('https://example.com/hook', { method: 'POST', body: '{}' })
    await request.text()
    const res = await handler(request)
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body.consumed')
  })

  it('stops reading a streamed body at the limit', async () => {
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(512))
      },
    })
    const handler = hookguard(createReceiver({ provider, maxBodyBytes: 1024, logger: false }))
    const res = await handler(
      new Request('https://example.com/hook', { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
    )
    expect(res.status).toBe(413)
    // An endless stream: the answer came because reading stopped once past 1024 bytes.
    expect(pulled).toBeLessThan(10)
  })
})
