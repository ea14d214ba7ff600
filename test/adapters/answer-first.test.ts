/**
 * The handler runs after the 2xx: with the in-process queue (the default), a
 * handler's synchronous work must never hold back the answer of the delivery
 * that queued it (a sender with a short timeout would count it as failed and
 * send it again). Over real HTTP: when the handler starts, the server has
 * already finished writing that delivery's response. With the memory store
 * (every adapter), with a store whose calls take a few event-loop turns, and
 * with Redis.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createReceiver } from '../../src/receiver/index.js'
import { github, memoryStore, type DedupeStore } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { signRequest } from '../../src/testing.js'
import { describeWithRedis, REDIS_URL } from '../support/services.js'
import { send } from './http.js'
import { ADAPTERS, type AdapterUnderTest } from './servers.js'

const SECRET = 'answer-first-github-secret'

/** A memory store whose every call answers after a timer: the answer then spans several turns. */
function slowStore(): DedupeStore {
  const inner = memoryStore()
  const later = <T>(value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), 5))
  return {
    reserve: async (key, leaseMs) => later(await inner.reserve(key, leaseMs)),
    complete: async (key, token, retentionMs) => later(await inner.complete(key, token, retentionMs)),
    release: async (key, token) => later(await inner.release(key, token)),
  }
}

async function expectAnswerFirst(adapter: AdapterUnderTest, store?: DedupeStore): Promise<void> {
  const provider = github({ secret: SECRET })
  const finished = new Set<string>()
  const seenAtStart: boolean[] = []
  let handled = 0
  const receiver = createReceiver({
    provider,
    store,
    logger: false,
    handler(event) {
      seenAtStart.push(finished.has(event.id))
      // Synchronous work the answer must not wait for.
      const until = Date.now() + 50
      while (Date.now() < until);
      handled++
    },
  })
  const running = await adapter.start(receiver)
  running.server.on('request', (req, res) => {
    const id = req.headers['x-github-delivery']
    res.on('finish', () => typeof id === 'string' && finished.add(id))
  })
  try {
    const ids = ['d-1', 'd-2', 'd-3'].map((id) => `${id}-${Date.now()}`)
    for (const id of ids) {
      const signed = await signRequest(provider, { body: JSON.stringify({ zen: id }), id })
      const answer = await send(running.url, { method: 'POST', headers: signed.headers, body: signed.body })
      expect(answer.status).toBe(200)
      expect(answer.headers['hookguard-outcome']).toBe('accepted')
    }
    await receiver.close()
    expect(handled).toBe(3)
    expect(seenAtStart).toEqual([true, true, true])
  } finally {
    await running.close()
  }
}

const node = ADAPTERS.find((adapter) => adapter.name === 'node')!

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))('%s', (_name, adapter) => {
  it('the handler starts only after the response is written, and a slow synchronous handler does not delay it', async () => {
    await expectAnswerFirst(adapter)
  })
})

describe('a store whose calls span event-loop turns', () => {
  it('node: the handler still starts only after the response is written', async () => {
    await expectAnswerFirst(node, slowStore())
  })
})

describeWithRedis('redisStore with the in-process queue', () => {
  const client = new Redis(REDIS_URL!)
  afterAll(() => client.quit())

  it('node: the handler starts only after the response is written', async () => {
    await expectAnswerFirst(node, redisStore({ client, prefix: `hookguard-test:answer-first:${Date.now()}:` }))
  })
})
