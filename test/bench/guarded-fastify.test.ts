/**
 * The Fastify version of the benchmarks' hand-written floor (bench/lib/guarded.ts): the same answers as the
 * node:http one. A file of its own: the module answers through one framework per process.
 */
import { createHmac, randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { counts, guardedFastify } from '../../bench/lib/guarded.js'

const SECRET = 'bench-floor-secret'
const app = Fastify()
guardedFastify(app, '/hook', SECRET)
beforeAll(() => app.ready())
afterAll(() => app.close())

function signed(body: string): string {
  return `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
}

function post(body: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/hook',
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signed(body),
      ...headers,
    },
  })
}

describe('the guarantees-by-hand bench server on Fastify', () => {
  it('accepts a signed delivery, runs the handler after the answer, and answers a resend as a duplicate', async () => {
    const body = JSON.stringify({ action: 'opened', n: randomUUID() })
    const before = counts.handled
    const first = await post(body)
    expect(first.statusCode).toBe(200)
    expect(first.headers['hookguard-outcome']).toBe('accepted')
    expect(first.json()).toMatchObject({ ok: true, status: 'accepted' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(counts.handled).toBe(before + 1)
    const again = await post(body)
    expect(again.headers['hookguard-outcome']).toBe('duplicate')
    await new Promise((resolve) => setImmediate(resolve))
    expect(counts.handled).toBe(before + 1)
  })

  it('refuses forged and malformed deliveries, and bodies over the limit', async () => {
    const body = JSON.stringify({ n: randomUUID() })
    const forged = signed(body).replace(/.$/, (digit) => (digit === '0' ? '1' : '0'))
    expect((await post(body, { 'x-hub-signature-256': forged })).statusCode).toBe(401)
    expect((await post('not json', { 'x-hub-signature-256': signed('not json') })).statusCode).toBe(400)
    const big = 'x'.repeat(1024 * 1024 + 1)
    expect((await post(big, { 'x-hub-signature-256': signed(big) })).statusCode).toBe(413)
  })
})
