/**
 * A client that disconnects mid-body: no reservation, no enqueue, no
 * unhandled error or rejection, and the server keeps serving.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { memoryStore } from '../../src/stores/memory.js'
import { signRequest } from '../../src/testing.js'
import type { DedupeStore, Outcome, QueuedEvent } from '../../src/types/index.js'
import { send } from './http.js'
import { ADAPTERS, PATH } from './servers.js'

const provider = stripe({ secret: 'whsec_test_abort_adapter_0123' })
const body = (id: string): string => JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
  process.on('uncaughtException', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  process.off('uncaughtException', onUnhandled)
})

describe('a client that aborts mid-body', () => {
  for (const adapter of ADAPTERS) {
    it(`${adapter.name}: nothing reserved, nothing enqueued, nothing unhandled, server still serves`, async () => {
      const inner = memoryStore()
      let reserves = 0
      const store: DedupeStore = {
        reserve: (key, lease) => {
          reserves++
          return inner.reserve(key, lease)
        },
        complete: (key, token, retention) => inner.complete(key, token, retention),
        release: (key, token) => inner.release(key, token),
      }
      const enqueued: QueuedEvent[] = []
      let sawAbort!: (outcome: Outcome) => void
      const aborted = new Promise<Outcome>((resolve) => (sawAbort = resolve))
      const receiver = createReceiver({
        provider,
        store,
        queue: { enqueue: async (event) => void enqueued.push(event) },
        logger: false,
        onOutcome: (outcome) => {
          if (outcome.kind === 'rejected' && outcome.code === 'body.aborted') sawAbort(outcome)
        },
      })
      const server = await adapter.start(receiver)
      try {
        const { port } = new URL(server.url)
        const signed = await signRequest(provider, { body: body('evt_abort') })
        const full = Buffer.from(signed.body as string)
        const socket = connect(Number(port), '127.0.0.1')
        socket.on('error', () => {})
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
        const head = [
          `POST ${PATH} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          `Content-Length: ${full.length}`,
          ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`),
          '',
          '',
        ].join('\r\n')
        socket.write(head)
        socket.write(full.subarray(0, 20))
        // Let the server start reading the body before the client goes away.
        await new Promise((resolve) => setTimeout(resolve, 100))
        socket.destroy()
        await expect(aborted).resolves.toMatchObject({ kind: 'rejected', code: 'body.aborted' })
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(reserves).toBe(0)
        expect(enqueued).toHaveLength(0)
        expect(unhandled).toEqual([])
        const ok = await send(server.url, { headers: signed.headers, body: signed.body })
        expect(ok.status).toBe(200)
        expect(enqueued).toHaveLength(1)
      } finally {
        await server.close()
        await receiver.close()
      }
    })
  }
})

describe('a body refused mid-stream on Node', () => {
  for (const adapter of ADAPTERS.filter((a) => ['express', 'express4', 'koa', 'koa2', 'node'].includes(a.name))) {
    it(`${adapter.name}: the 413 says Connection: close and the server closes the socket instead of draining the rest`, async () => {
      const receiver = createReceiver({ provider, maxBodyBytes: 1024, logger: false })
      const server = await adapter.start(receiver)
      try {
        const { port } = new URL(server.url)
        const socket = connect(Number(port), '127.0.0.1')
        socket.on('error', () => {})
        let received = ''
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
        socket.write(
          [`POST ${PATH} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Transfer-Encoding: chunked', '', ''].join('\r\n'),
        )
        socket.write(`800\r\n${' '.repeat(2048)}\r\n`)
        // The client never finishes the body; only the server can end this.
        await closed
        expect(received).toMatch(/^HTTP\/1\.1 413 /)
        expect(received.toLowerCase()).toContain('connection: close')
      } finally {
        await server.close()
        await receiver.close()
      }
    })
  }
})
