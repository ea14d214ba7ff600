import { createServer } from 'node:http'
import { capturingLogger } from '../support/log.js'
import { describe, expect, it } from 'vitest'
import { hookguard } from '../../adapters/node.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import { send } from './http.js'
import { listen } from './servers.js'

const provider = stripe({ secret: 'whsec_test_node_adapter_012345' })

describe('hookguard/node', () => {
  it('refuses a request whose stream an earlier handler already read (500 body.consumed, fix logged)', async () => {
    const logs: string[] = []
    const listener = hookguard(createReceiver({ provider, logger: capturingLogger(logs, ['error']) }))
    const server = await listen(
      createServer(async (req, res) => {
        for await (const _chunk of req) {
          // an earlier handler that read the body
        }
        listener(req, res)
      }),
    )
    try {
      const signed = await signRequest(provider, { body: JSON.stringify({ id: 'evt_node', type: 'x' }) })
      const answer = await send(server.url, { headers: signed.headers, body: signed.body })
      expect(answer.status).toBe(500)
      expect(answer.json).toMatchObject({ error: { code: 'body.consumed' } })
      expect(logs.join('\n')).toMatch(/call it with an unread request/)
    } finally {
      await server.close()
    }
  })

  it('throws a TypeError at construction for a bad bodyTimeoutMs', () => {
    expect(() => hookguard({ provider }, { bodyTimeoutMs: Number.NaN })).toThrow(/bodyTimeoutMs/)
  })
})
