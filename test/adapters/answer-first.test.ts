/**
 * The handler runs after the 2xx: with the default in-process queue, a
 * handler's synchronous work must never hold back the answer of the delivery
 * that queued it (a sender with a short timeout would count it as failed and
 * send it again). Every adapter, over real HTTP: when the handler starts, the
 * server has already finished writing that delivery's response.
 */
import { describe, expect, it } from 'vitest'
import { createReceiver } from '../../src/receiver/index.js'
import { github } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { send } from './http.js'
import { ADAPTERS } from './servers.js'

const SECRET = 'answer-first-github-secret'

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))('%s', (_name, adapter) => {
  it('the handler starts only after the response is written, and a slow synchronous handler does not delay it', async () => {
    const provider = github({ secret: SECRET })
    const finished = new Set<string>()
    const seenAtStart: boolean[] = []
    let handled = 0
    const receiver = createReceiver({
      provider,
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
      for (const id of ['d-1', 'd-2', 'd-3']) {
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
  })
})
