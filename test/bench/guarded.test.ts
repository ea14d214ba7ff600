/** The node:http version of the benchmarks' hand-written floor: the shared cases, a doubled header, a GET. */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { guardedListener } from '../../bench/lib/guarded.js'
import { defaultHeaders, guardedCases, SECRET, signed } from './guarded-cases.js'

const app = createServer(guardedListener(SECRET))
afterAll(() => app.close())

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

describe('the guarantees-by-hand bench server on node:http', () => {
  guardedCases(async (body, headers = {}) => {
    const answer = await request(app)
      .post('/')
      .set({ ...defaultHeaders(body), ...headers })
      .send(body)
    return { status: answer.status, headers: answer.headers, body: answer.body as unknown }
  })

  it('refuses two signature headers instead of joining them', async () => {
    const body = JSON.stringify({ n: randomUUID() })
    const header: [string, string] = ['x-hub-signature-256', signed(body)]
    expect(await rawStatus(body, header, header)).toBe(401)
    expect(await rawStatus(body, header)).toBe(200)
  })

  it('answers anything but POST with 405', async () => {
    expect((await request(app).get('/')).status).toBe(405)
  })
})
