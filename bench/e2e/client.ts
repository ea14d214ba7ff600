/**
 * Load generator for bench/e2e.bench.ts, run as a child process so it does
 * not share the server's event loop: `concurrency` keep-alive connections,
 * each signing and sending a new distinct event as soon as its previous one
 * was answered, until the time is up or `maxRequests` were sent. Signing
 * happens here, on the sender's side, as it does in real life.
 */
import { Agent, request } from 'node:http'
import { stripe } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'

export interface ClientInput {
  url: string
  concurrency: number
  /** Absolute ms (performance.timeOrigin based): latencies are kept from here on. */
  measureFrom: number
  /** Absolute ms: no request starts after this. */
  end: number
  /** Stripe signing secret shared with the server. */
  secret: string
  /** Event ids are `evt_<tag>_<n>`, distinct across runs. */
  tag: string
  maxRequests: number
}

export interface ClientOutput {
  /** Client-observed latency of each request started inside the window, ms. */
  latencies: number[]
  /** Status code → count, inside the window; 0 = connection error. */
  statuses: Record<number, number>
  /** Length of the measured window, ms. */
  measuredMs: number
  /** True when maxRequests ran out before the time did. */
  exhausted: boolean
}

const now = (): number => performance.timeOrigin + performance.now()

function send(url: string, agent: Agent, delivery: { headers: Record<string, string>; body: string }): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...delivery.headers, 'content-length': String(Buffer.byteLength(delivery.body)) },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', () => resolve(0))
      },
    )
    req.on('error', () => resolve(0))
    req.end(delivery.body)
  })
}

async function run(input: ClientInput): Promise<ClientOutput> {
  const provider = stripe({ secret: input.secret })
  const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency })
  const latencies: number[] = []
  const statuses: Record<number, number> = {}
  let next = 0
  let lastEnd = input.measureFrom
  async function user(): Promise<void> {
    while (next < input.maxRequests && now() < input.end) {
      const n = next++
      const body = JSON.stringify({
        id: `evt_${input.tag}_${n}`,
        object: 'event',
        type: 'invoice.paid',
        data: { object: { id: `in_${n}`, amount_due: 4200, currency: 'eur' } },
      })
      const signed = await signRequest(provider, { body })
      const delivery = { headers: { ...signed.headers, 'content-type': 'application/json' }, body }
      const started = now()
      const status = await send(input.url, agent, delivery)
      const finished = now()
      if (started >= input.measureFrom) {
        latencies.push(finished - started)
        statuses[status] = (statuses[status] ?? 0) + 1
        lastEnd = Math.max(lastEnd, finished)
      }
    }
  }
  await Promise.all(Array.from({ length: input.concurrency }, user))
  agent.destroy()
  const exhausted = next >= input.maxRequests
  return { latencies, statuses, measuredMs: (exhausted ? lastEnd : input.end) - input.measureFrom, exhausted }
}

process.once('message', (input: ClientInput) => {
  void run(input).then((output) => process.send!(output, () => process.exit(0)))
})
// Loaded: the parent starts the clock only now, so start-up is never measured.
process.send!('ready')
