/**
 * The benchmarks' hand-written floor (bench/lib/guarded.ts) only says something about hookguard's overhead if
 * it really gives the guarantees it is compared for: these check the answers a sender relies on.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { counts, guardedListener } from '../../bench/lib/guarded.js'

const SECRET = 'bench-floor-secret'
const app = createServer(guardedListener(SECRET))
afterAll(() => app.close())

function signed(body: string): string {
  return `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
}

/** The status of a POST sent as raw HTTP/1.1, so a header can appear twice. */
async function rawStatus(body: string, ...headers: [string, string][]): Promise<number> {
  await new Promise<void>((resolve) => (app.listening ? resolve() : app.listen(0, '127.0.0.1', resolve)))
  const { port } = app.address() as AddressInfo
  const socket = connect(port, '127.0.0.1')
  const lines = [
    'POST / HTTP/1.1',
    'host: 127.0.0.1',
    'connection: close',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-github-delivery: ${randomUUID()}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ]
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
  let answer = ''
  for await (const chunk of socket) answer += String(chunk)
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
}

function post(body: string, headers: Record<string, string> = {}) {
  return request(app)
    .post('/')
    .set('content-type', 'application/json')
    .set('x-github-event', 'issues')
    .set('x-github-delivery', randomUUID())
    .set('x-hub-signature-256', signed(body))
    .set(headers)
    .send(body)
}

describe('the guarantees-by-hand bench server', () => {
  it('accepts a signed delivery, runs the handler after the answer, and answers a resend as a duplicate', async () => {
    const body = JSON.stringify({ action: 'opened', n: randomUUID() })
    const before = counts.handled
    const first = await post(body)
    expect(first.status).toBe(200)
    expect(first.headers['hookguard-outcome']).toBe('accepted')
    expect(first.headers['cache-control']).toBe('no-store')
    await new Promise((resolve) => setImmediate(resolve))
    expect(counts.handled).toBe(before + 1)
    // A fresh delivery id does not make a captured delivery new: the key is the MAC's digest.
    const again = await post(body)
    expect(again.status).toBe(200)
    expect(again.headers['hookguard-outcome']).toBe('duplicate')
    await new Promise((resolve) => setImmediate(resolve))
    expect(counts.handled).toBe(before + 1)
  })

  it('refuses forged, malformed and ambiguous deliveries', async () => {
    const body = JSON.stringify({ n: randomUUID() })
    const forged = signed(body).replace(/.$/, (digit) => (digit === '0' ? '1' : '0'))
    expect((await post(body, { 'x-hub-signature-256': forged })).status).toBe(401)
    expect((await post(body, { 'x-hub-signature-256': signed(body).toUpperCase() })).status).toBe(401)
    expect((await post(body, { 'x-hub-signature-256': `${signed(body)}00` })).status).toBe(401)
    const notJson = 'not json'
    expect((await post(notJson, { 'x-hub-signature-256': signed(notJson) })).status).toBe(400)
    const badId = await post(JSON.stringify({ n: randomUUID() }), { 'x-github-delivery': 'a'.repeat(513) })
    expect(badId.status).toBe(400)
    // Two signature headers are refused, not joined.
    expect(await rawStatus(body, ['x-hub-signature-256', signed(body)], ['x-hub-signature-256', signed(body)])).toBe(
      401,
    )
    expect(await rawStatus(body, ['x-hub-signature-256', signed(body)])).toBe(200)
  })

  it('answers anything but POST with 405', async () => {
    expect((await request(app).get('/')).status).toBe(405)
  })
})
