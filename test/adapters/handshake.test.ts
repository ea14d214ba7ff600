/**
 * Handshakes outside POST through every adapter over real HTTP: Meta's and
 * Dropbox's GET challenge, Okta's GET verification, Trello's HEAD check. The
 * provider answers from the method, URL and headers; other methods get 405
 * with an Allow header that lists the handshake methods.
 */
import { describe, expect, it } from 'vitest'
import { dropbox, meta, okta, trello } from '../../src/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { send } from './http.js'
import { ADAPTERS } from './servers.js'

const CASES = [
  {
    name: 'meta GET',
    make: () =>
      meta({
        secret: 'a3f5c7e9b1d3f5a7c9e1b3d5f7a9c1e3',
        verifyToken: 'meatyhamhock',
      }),
    query: '?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock',
    refused: '?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhocks',
    sent: { method: 'GET' },
    expected: { text: '1158201444', allow: 'POST, GET' },
  },
  {
    name: 'dropbox GET',
    make: () => dropbox({ secret: 'k5dh3l1r7wsy0bn' }),
    query: '?challenge=abc123',
    refused: '?challenge=%3Cscript%3E',
    sent: { method: 'GET' },
    expected: { text: 'abc123', allow: 'POST, GET' },
  },
  {
    name: 'okta GET',
    make: () => okta({ secret: 'my-shared-secret-0123' }),
    query: '',
    refused: '',
    sent: {
      method: 'GET',
      headers: {
        authorization: 'my-shared-secret-0123',
        'x-okta-verification-challenge': 'Me_rShK8',
      },
    },
    expected: { text: '{"verification":"Me_rShK8"}', allow: 'POST, GET' },
  },
  {
    name: 'trello HEAD',
    make: () =>
      trello({
        secret: 'e3c1b0f9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1',
      }),
    query: '',
    refused: undefined,
    sent: { method: 'HEAD' },
    expected: { text: '', allow: 'POST, HEAD' },
  },
]

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'handshake methods through %s',
  (_name, adapter) => {
    it.each(CASES)('$name: answered 200 as the sender expects; other methods 405 with Allow', async (c) => {
      const receiver = createReceiver({ provider: c.make(), logger: false })
      const server = await adapter.start(receiver)
      try {
        const answer = await send(server.url + c.query, c.sent)
        expect([answer.status, answer.text, answer.headers['hookguard-outcome']]).toEqual([
          200,
          c.expected.text,
          'handshake',
        ])
        const put = await send(server.url, { method: 'PUT', body: '' })
        expect([put.status, put.headers.allow]).toEqual([405, c.expected.allow])
        if (c.refused !== undefined) {
          const refused = await send(server.url + c.refused, {
            method: 'GET',
          })
          expect(refused.status).toBeGreaterThanOrEqual(400)
          expect(refused.status).toBeLessThan(500)
        }
      } finally {
        await server.close()
        await receiver.close()
      }
    })
  },
)
