/**
 * A sender still writing when the answer comes early (413 on a chunked
 * flood, 413 from Content-Length) must be able to read that answer: the
 * server half-closes and drains a bounded amount instead of resetting the
 * connection under the client.
 */
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { ADAPTERS } from './servers.js'

const provider = stripe({ secret: 'whsec_test_linger_adapter_0123' })

/**
 * Writes `head`, then a 16 KiB chunk every 8 ms (about 2 MB/s, a sender on a
 * fast link) for a second without reading, like a client that writes its
 * whole body before it reads the answer; then reads everything.
 */
function flood(port: number, head: string, chunked: boolean): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let error: string | undefined
    let writing = true
    const chunk = chunked ? `4000\r\n${'x'.repeat(0x4000)}\r\n` : 'x'.repeat(0x4000)
    let ticker: ReturnType<typeof setInterval> | undefined
    socket.on('connect', () => {
      socket.pause()
      socket.write(head)
      ticker = setInterval(() => {
        if (writing && !socket.destroyed) socket.write(chunk)
      }, 8)
    })
    socket.on('data', (data) => (text += data.toString('latin1')))
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message
    })
    socket.on('close', () => {
      writing = false
      clearInterval(ticker)
      resolve({ text, error })
    })
    setTimeout(() => {
      writing = false
      socket.resume()
      socket.end()
    }, 1000)
  })
}

describe('early answers reach a client that is still writing', () => {
  for (const adapter of ADAPTERS) {
    for (const chunked of [true, false]) {
      it(`${adapter.name}: 413 is readable during a ${chunked ? 'chunked flood' : 'body past Content-Length limit'}`, async () => {
        const receiver = createReceiver({
          provider,
          maxBodyBytes: 1024,
          logger: false,
          queue: { enqueue: async () => {} },
        })
        const server = await adapter.start(receiver)
        try {
          const { port, pathname } = new URL(server.url)
          const length = chunked ? 'Transfer-Encoding: chunked' : 'Content-Length: 104857600'
          const head = `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${length}\r\n\r\n`
          const { text } = await flood(Number(port), head, chunked)
          expect(text.slice(0, 12)).toBe('HTTP/1.1 413')
        } finally {
          await server.close()
        }
      })
    }
  }
})
