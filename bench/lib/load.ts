/**
 * The load generator: autocannon in this process, `connections` keep-alive
 * connections over loopback. Every request is a pre-built raw HTTP/1.1
 * message from a pool of signed deliveries, so the client spends its CPU on
 * sockets and response parsing only (no HMACs, no per-request request
 * building). The client's own CPU is measured too: a client near 100 % of a
 * core would cap the server's numbers.
 */
import autocannon from 'autocannon'
import type { Delivery } from './deliveries.js'

/** The raw bytes of a POST of `delivery` to `path` (Host is fixed: the servers route on the path only). */
export function rawRequest(path: string, delivery: Delivery): Buffer {
  const body = Buffer.from(delivery.body)
  let head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n`
  for (const [name, value] of Object.entries(delivery.headers)) head += `${name}: ${value}\r\n`
  head += `Content-Length: ${body.length}\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}

/**
 * Hands out a pool's requests in order, starting over when it runs out and
 * counting the reuses: a run that wanted fresh ids and reused some is flagged.
 */
export class RequestCursor {
  private next = 0
  /** Requests handed out a second time or more. */
  reused = 0

  constructor(private readonly pool: Buffer[]) {
    if (pool.length === 0) throw new Error('bench: empty request pool')
  }

  take(): Buffer {
    if (this.next >= this.pool.length) this.reused++
    return this.pool[this.next++ % this.pool.length]!
  }
}

export interface LoadOptions {
  url: string
  path: string
  connections: number
  durationMs: number
  cursor: RequestCursor
}

export interface LoadResult {
  /** Responses received. */
  requests: number
  durationMs: number
  rps: number
  /** Status code → count, e.g. { '200': 51234 }. */
  statuses: Record<string, number>
  errors: number
  timeouts: number
  meanMs: number
  p50Ms: number
  p99Ms: number
  /** CPU the client used per response, µs (user + system, the whole client process). */
  clientCpuUsPerRequest: number
  /** Client CPU as a share of one core over the run (near 1 = the client is the bottleneck). */
  clientCpuShare: number
  /** Requests sent again because the pool ran out (fresh-id runs must show 0). */
  reused: number
}

/**
 * autocannon (v9) writes `client.getRequestBuffer()` for every request; the
 * pool's next message replaces its per-request builder, which would cost the
 * client more than a bare server spends per request.
 */
function feedFrom(cursor: RequestCursor) {
  return function setupClient(client: autocannon.Client): void {
    const target = client as unknown as { getRequestBuffer?: () => Buffer }
    if (typeof target.getRequestBuffer !== 'function')
      throw new Error('bench: this autocannon has no Client#getRequestBuffer; update bench/lib/load.ts')
    target.getRequestBuffer = () => cursor.take()
  }
}

/** One autocannon run; resolves when it finished. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const reusedBefore = options.cursor.reused
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const result = await autocannon({
    url: options.url + options.path,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationMs / 1000,
    // autocannon checks its stop flag once per sample interval; short samples keep the duration exact.
    sampleInt: 100,
    method: 'POST',
    setupClient: feedFrom(options.cursor),
  })
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const cpuUs = cpu.user + cpu.system
  const requests = result.requests.total
  return {
    requests,
    durationMs: result.duration * 1000,
    rps: requests / result.duration,
    statuses: statusCounts(result),
    errors: result.errors,
    timeouts: result.timeouts,
    meanMs: result.latency.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    clientCpuUsPerRequest: cpuUs / Math.max(1, requests),
    clientCpuShare: cpuUs / 1000 / wallMs,
    reused: options.cursor.reused - reusedBefore,
  }
}

function statusCounts(result: autocannon.Result): Record<string, number> {
  const stats = (result as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  return Object.fromEntries(Object.entries(stats).map(([code, { count }]) => [code, count]))
}
