/**
 * The Fastify version of the benchmarks' hand-written floor: the shared cases and a body over the limit. A file
 * of its own: the module answers through one framework per process.
 */
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { guardedFastify } from '../../bench/lib/guarded.js'
import { defaultHeaders, guardedCases, SECRET, signed } from './guarded-cases.js'

const app = Fastify()
guardedFastify(app, '/hook', SECRET)
beforeAll(() => app.ready())
afterAll(() => app.close())

async function post(body: string, headers: Record<string, string> = {}) {
  const answer = await app.inject({
    method: 'POST',
    url: '/hook',
    payload: body,
    headers: { ...defaultHeaders(body), ...headers },
  })
  return { status: answer.statusCode, headers: answer.headers, body: answer.json() as unknown }
}

describe('the guarantees-by-hand bench server on Fastify', () => {
  guardedCases(post)

  it('refuses a body over the limit', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1)
    expect((await post(big, { 'x-hub-signature-256': signed(big) })).status).toBe(413)
  })
})
