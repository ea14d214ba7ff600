/**
 * Recorder overhead on the HTTP path: accepted deliveries per second through
 * a memory-path receiver (memoryStore + memoryQueue) on loopback, without an
 * archive and with each archive behind the recorder. The server reads the
 * body, calls `receiver.handle()`, answers, then calls `recorder.record()`
 * with what the receiver will pass — the body bytes included. Rounds
 * alternate between setups, and the median of each is reported.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createReceiver, memoryQueue, memoryStore, stripe } from '../../src/index.js'
import { newDeliveryId } from '../../src/internal/delivery-id.js'
import { createArchiveRecorder, type ArchiveRecorder } from '../../src/archive/recorder.js'
import type { DeliveryArchive, DeliveryRecord } from '../../src/types/index.js'
import type { ClientInput, ClientOutput } from './client.js'
import { mainThreadCpuMs } from './cpu.js'

export interface ThroughputSetup {
  name: string
  make(): Promise<{ archive?: DeliveryArchive; cleanup(): Promise<void> }>
}

export interface ThroughputRow {
  name: string
  rps: number[]
  /** Main-thread CPU time per answered request, µs: what caps a single-process server. */
  mainUs: number[]
  /** Process CPU time (all threads) per answered request, µs. */
  cpuUs: number[]
  written: number
  dropped: number
  failed: number
}

const SECRET = 'whsec_bench_archive_0123456789abcdef'
const now = (): number => performance.timeOrigin + performance.now()

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** What the receiver will build for each request. */
function toRecord(req: IncomingMessage, body: Buffer, receivedAt: number, result: Awaited<ReturnType<ReturnType<typeof createReceiver>['handle']>>): DeliveryRecord {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === 'string') headers[name] = name === 'stripe-signature' ? '[redacted]' : value
  const outcome = result.outcome
  const record: DeliveryRecord = {
    deliveryId: newDeliveryId(receivedAt),
    receivedAt,
    receiver: outcome.receiver,
    provider: outcome.provider,
    method: req.method ?? '',
    path: req.url ?? '/',
    headers,
    body,
    bodySize: body.length,
    truncated: false,
    status: result.status,
    outcome: outcome.kind,
    durationMs: Date.now() - receivedAt,
  }
  if ('id' in outcome) Object.assign(record, { eventId: outcome.id, key: outcome.key, type: outcome.type })
  if ('code' in outcome) Object.assign(record, { code: outcome.code, reason: outcome.reason })
  if (outcome.kind === 'accepted') Object.assign(record, { state: 'pending', attempts: 0 })
  return record
}

async function round(setup: ThroughputSetup, options: { concurrency: number; warmupMs: number; measureMs: number }) {
  const { archive, cleanup } = await setup.make()
  const recorder: ArchiveRecorder | undefined = archive && createArchiveRecorder(archive, { logger: false })
  const receiver = createReceiver({
    provider: stripe({ secret: SECRET }),
    store: memoryStore({ maxKeys: 1_000_000 }),
    queue: memoryQueue({ rememberKeys: 1_000_000 }),
    handler: (event) => {
      recorder?.progress({ deliveryId: (event as { deliveryId?: string }).deliveryId ?? 'x', state: 'handled', attempts: 1, at: Date.now() })
    },
    logger: false,
  })
  let answered = 0
  const server = createServer((req, res) => {
    const receivedAt = Date.now()
    answered++
    void readBody(req).then(async (body) => {
      const result = await receiver.handle({ method: req.method ?? '', url: req.url, headers: req.headers, body })
      res.writeHead(result.status, result.headers)
      res.end(result.body)
      recorder?.record(toRecord(req, body, receivedAt, result))
    })
  })
  server.keepAliveTimeout = 10_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = fork(new URL('./client.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await once(client, 'message')
  const measureFrom = now() + options.warmupMs
  const input: ClientInput = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`,
    concurrency: options.concurrency,
    measureFrom,
    end: measureFrom + options.measureMs,
    secret: SECRET,
    tag: `${setup.name}_${Date.now()}`,
  }
  client.send(input)
  const window = { main: mainThreadCpuMs(), cpu: process.cpuUsage(), answered: 0 }
  const startWindow = setTimeout(() => {
    window.main = mainThreadCpuMs()
    window.cpu = process.cpuUsage()
    window.answered = answered
  }, options.warmupMs)
  const endWindow = new Promise<{ mainUs: number; cpuUs: number }>((resolve) =>
    setTimeout(() => {
      const requests = Math.max(1, answered - window.answered)
      const cpu = process.cpuUsage(window.cpu)
      resolve({ mainUs: ((mainThreadCpuMs() - window.main) * 1000) / requests, cpuUs: (cpu.user + cpu.system) / requests })
    }, options.warmupMs + options.measureMs),
  )
  const [output] = (await once(client, 'message')) as [ClientOutput]
  clearTimeout(startWindow)
  const cost = await endWindow
  if (client.exitCode === null) await once(client, 'exit')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await recorder?.close()
  await receiver.close()
  const stats = recorder?.stats() ?? { written: 0, dropped: 0, failed: 0 }
  await cleanup()
  return { rps: output.ok / (output.measuredMs / 1000), ...cost, ...stats, other: output.other }
}

export async function measureThroughput(
  setups: ThroughputSetup[],
  options: { rounds: number; concurrency: number; warmupMs: number; measureMs: number },
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = setups.map((setup) => ({ name: setup.name, rps: [], mainUs: [], cpuUs: [], written: 0, dropped: 0, failed: 0 }))
  for (let r = 0; r < options.rounds; r++) {
    for (const [i, setup] of setups.entries()) {
      const result = await round(setup, options)
      const row = rows[i]!
      row.rps.push(result.rps)
      row.mainUs.push(result.mainUs)
      row.cpuUs.push(result.cpuUs)
      row.written += result.written
      row.dropped += result.dropped
      row.failed += result.failed
      process.stdout.write(
        `  round ${r + 1} ${setup.name}: ${result.rps.toFixed(0)}/s, main thread ${result.mainUs.toFixed(0)} µs/req, cpu ${result.cpuUs.toFixed(0)} µs/req\n`,
      )
    }
  }
  return rows
}
