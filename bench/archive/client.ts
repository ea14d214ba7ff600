/**
 * Load generator for bench/archive.bench.ts, run as a child process so it
 * does not share the server's event loop: `concurrency` keep-alive
 * connections, each sending a new, distinct, Stripe-signed ~1 KiB delivery as
 * soon as the previous one was answered (or, with `rate`, at its slot of a
 * fixed total rate), until the time is up.
 */
import { Agent, request } from 'node:http'
import { stripe } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'

export interface ClientInput {
  url: string
  concurrency: number
  /** Absolute ms (performance.timeOrigin based): answers are counted from here on. */
  measureFrom: number
  /** Absolute ms: no request starts after this. */
  end: number
  secret: string
  /** Event ids are `evt_<tag>_<n>`, distinct across runs. */
  tag: string
  /** Requests per second offered in total (open loop); absent: as fast as answers come (closed loop). */
  rate?: number
}

export interface ClientOutput {
  /** Answers with status 200 inside the window. */
  ok: number
  /** Other answers inside the window, by status (0 = connection error). */
  other: Record<number, number>
  measuredMs: number
}

const now = (): number => performance.timeOrigin + performance.now()
const PADDING = 'x'.repeat(860)

function send(url: string, agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

async function run(input: ClientInput): Promise<ClientOutput> {
  const provider = stripe({ secret: input.secret })
  const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency })
  const output: ClientOutput = { ok: 0, other: {}, measuredMs: input.end - input.measureFrom }
  let next = 0
  const firstSlot = now()
  async function user(): Promise<void> {
    while (now() < input.end) {
      const n = next++
      // Open loop: request n goes out at its slot, so every setup gets the same load.
      const slot = input.rate ? firstSlot + (n * 1000) / input.rate : 0
      if (slot > now()) await new Promise((resolve) => setTimeout(resolve, slot - now()))
      const body = JSON.stringify({
        id: `evt_${input.tag}_${n}`,
        object: 'event',
        type: 'invoice.paid',
        data: { object: { id: `in_${n}`, amount_due: 4200, currency: 'eur', description: PADDING } },
      })
      const signed = await signRequest(provider, { body })
      const headers = {
        ...signed.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      }
      const started = now()
      const status = await send(input.url, agent, headers, body)
      if (started < input.measureFrom) continue
      if (status === 200) output.ok++
      else output.other[status] = (output.other[status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: input.concurrency }, user))
  agent.destroy()
  return output
}

process.once('message', (input: ClientInput) => {
  void run(input).then((output) => process.send!(output, () => process.exit(0)))
})
process.send!('ready')
