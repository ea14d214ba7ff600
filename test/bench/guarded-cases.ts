/**
 * What the benchmarks' hand-written floor (bench/lib/guarded.ts) must answer on every framework it runs on: it
 * only says something about hookguard's overhead if it really gives the guarantees it is compared for. Each
 * framework's test file runs these through its own server (the module answers through one framework per
 * process) and adds what only that framework can send.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { counts } from '../../bench/lib/guarded.js'

export const SECRET = 'bench-floor-secret'

export function signed(body: string): string {
  return `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
}

export interface Answer {
  status: number
  headers: Record<string, unknown>
  body: unknown
}

/** Sends `body` as a GitHub delivery with a fresh id, signed, with `headers` replacing the defaults. */
export type Post = (body: string, headers?: Record<string, string>) => Promise<Answer>

export function defaultHeaders(body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'issues',
    'x-github-delivery': randomUUID(),
    'x-hub-signature-256': signed(body),
  }
}

const turn = (): Promise<unknown> => new Promise((resolve) => setImmediate(resolve))

export function guardedCases(post: Post): void {
  it('accepts a signed delivery, runs the handler after the answer, and answers a resend as a duplicate', async () => {
    const body = JSON.stringify({ action: 'opened', n: randomUUID() })
    const before = counts.handled
    const first = await post(body)
    expect(first.status).toBe(200)
    expect(first.headers['hookguard-outcome']).toBe('accepted')
    expect(first.headers['cache-control']).toBe('no-store')
    expect(first.body).toMatchObject({ ok: true, status: 'accepted' })
    await turn()
    expect(counts.handled).toBe(before + 1)
    // A fresh delivery id does not make a captured delivery new: the key is the MAC's digest.
    const again = await post(body)
    expect(again.status).toBe(200)
    expect(again.headers['hookguard-outcome']).toBe('duplicate')
    await turn()
    expect(counts.handled).toBe(before + 1)
  })

  it('refuses forged and malformed signatures, bodies that are not JSON and over-long ids', async () => {
    const body = JSON.stringify({ n: randomUUID() })
    const forged = signed(body).replace(/.$/, (digit) => (digit === '0' ? '1' : '0'))
    expect((await post(body, { 'x-hub-signature-256': forged })).status).toBe(401)
    expect((await post(body, { 'x-hub-signature-256': signed(body).toUpperCase() })).status).toBe(401)
    expect((await post(body, { 'x-hub-signature-256': `${signed(body)}00` })).status).toBe(401)
    expect((await post('not json', { 'x-hub-signature-256': signed('not json') })).status).toBe(400)
    expect((await post(body, { 'x-github-delivery': 'a'.repeat(513) })).status).toBe(400)
  })
}
