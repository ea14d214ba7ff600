import { describe, expect, it } from 'vitest'
import { createReceiver, stripe } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'

const provider = stripe({ secret: 'whsec_test_close_0123456789abcdef' })

describe('receiver.close()', () => {
  it('is idempotent and safe under concurrent calls while a request is in flight', async () => {
    let openGate!: () => void
    const gate = new Promise<void>((resolve) => (openGate = resolve))
    let queueClosed = 0
    const receiver = createReceiver({
      provider,
      logger: false,
      queue: {
        enqueue: async () => gate,
        close: async () => void queueClosed++,
      },
    })
    const body = JSON.stringify({ id: 'evt_close', type: 't' })
    const { headers } = await signRequest(provider, { body })
    const inFlight = receiver.handle({ method: 'POST', headers, body })
    await new Promise((resolve) => setTimeout(resolve, 10))
    const first = receiver.close()
    const second = receiver.close()
    let settled = 0
    void first.then(() => settled++)
    void second.then(() => settled++)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).toBe(0)
    openGate()
    expect((await inFlight).status).toBe(200)
    await Promise.all([first, second, receiver.close()])
    expect(settled).toBe(2)
    expect(queueClosed).toBe(1)
    const after = await receiver.handle({ method: 'POST', headers, body })
    expect(after.status).toBe(503)
  })
})
