/**
 * What archiving costs the HTTP path: accepted deliveries per second through
 * the node:http adapter and a memory-path receiver (memoryStore +
 * memoryQueue, no-op handler in process), without an archive and with each
 * archive passed as `createReceiver({ archive })` — the receiver's own
 * recorder then archives every request and the worker's progress.
 *
 * Besides deliveries per second (noisy on a shared machine) it reports the
 * server's main-thread CPU time per request, which is what caps a
 * single-process server and is steady under load. Rounds alternate between
 * setups; medians are reported.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hookguard } from '../../adapters/node.js'
import { createReceiver, memoryQueue, memoryStore, stripe } from '../../src/index.js'
import type { DeliveryArchive } from '../../src/types/index.js'
import type { ClientInput, ClientOutput } from './client.js'
import { mainThreadCpuMs } from './cpu.js'

export interface ThroughputSetup {
  name: string
  make(): Promise<{ archive?: DeliveryArchive; cleanup(): Promise<void> }>
}

export interface ThroughputRow {
  name: string
  rps: number[]
  /** Server main-thread CPU time per answered request, µs. */
  mainUs: number[]
  /** Server process CPU time (all threads) per answered request, µs. */
  cpuUs: number[]
  /** Records in the archive after the rounds, and answers that were not 200. */
  archived: number
  other: number
}

export interface ThroughputOptions {
  rounds: number
  concurrency: number
  warmupMs: number
  measureMs: number
  /** Offered deliveries per second (open loop); absent: closed loop, as fast as the server answers. */
  rate?: number
}

const SECRET = 'whsec_bench_archive_0123456789abcdef'
const now = (): number => performance.timeOrigin + performance.now()

/** Main-thread and process CPU per request over [from, from + span]. */
function costWindow(counter: () => number, fromMs: number, spanMs: number): Promise<{ mainUs: number; cpuUs: number }> {
  return new Promise((resolve) => {
    let start = { main: 0, cpu: process.cpuUsage(), answered: 0 }
    setTimeout(() => (start = { main: mainThreadCpuMs(), cpu: process.cpuUsage(), answered: counter() }), fromMs)
    setTimeout(() => {
      const requests = Math.max(1, counter() - start.answered)
      const cpu = process.cpuUsage(start.cpu)
      resolve({
        mainUs: ((mainThreadCpuMs() - start.main) * 1000) / requests,
        cpuUs: (cpu.user + cpu.system) / requests,
      })
    }, fromMs + spanMs)
  })
}

async function drive(url: string, tag: string, options: ThroughputOptions, onStart: () => void): Promise<ClientOutput> {
  const client = fork(new URL('./client.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await once(client, 'message')
  const measureFrom = now() + options.warmupMs
  const input: ClientInput = {
    url,
    concurrency: options.concurrency,
    measureFrom,
    end: measureFrom + options.measureMs,
    secret: SECRET,
    tag,
    ...(options.rate ? { rate: options.rate } : {}),
  }
  onStart()
  client.send(input)
  const [output] = (await once(client, 'message')) as [ClientOutput]
  if (client.exitCode === null) await once(client, 'exit')
  return output
}

async function round(setup: ThroughputSetup, options: ThroughputOptions) {
  const { archive, cleanup } = await setup.make()
  const receiver = createReceiver({
    provider: stripe({ secret: SECRET }),
    store: memoryStore({ maxKeys: 1_000_000 }),
    queue: memoryQueue({ rememberKeys: 1_000_000 }),
    handler: () => {},
    logger: false,
    ...(archive ? { archive } : {}),
  })
  let answered = 0
  const handle = hookguard(receiver)
  const server = createServer((req, res) => {
    res.once('finish', () => answered++)
    handle(req, res)
  })
  server.keepAliveTimeout = 10_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`
  let cost: Promise<{ mainUs: number; cpuUs: number }> | undefined
  // The same window as the client's, once it is loaded and warmed up.
  const output = await drive(url, `${setup.name}_${Date.now()}`, options, () => {
    cost = costWindow(() => answered, options.warmupMs, options.measureMs)
  })
  const measured = await cost!
  await new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await receiver.close()
  const archived = archive ? (await archive.stats()).total : 0
  await cleanup()
  const other = Object.values(output.other).reduce((a, b) => a + b, 0)
  return { rps: output.ok / (output.measuredMs / 1000), ...measured, archived, other }
}

export async function measureThroughput(
  setups: ThroughputSetup[],
  options: ThroughputOptions,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = setups.map((s) => ({
    name: s.name,
    rps: [],
    mainUs: [],
    cpuUs: [],
    archived: 0,
    other: 0,
  }))
  for (let r = 0; r < options.rounds; r++) {
    for (const [i, setup] of setups.entries()) {
      const result = await round(setup, options)
      const row = rows[i]!
      row.rps.push(result.rps)
      row.mainUs.push(result.mainUs)
      row.cpuUs.push(result.cpuUs)
      row.archived += result.archived
      row.other += result.other
      process.stdout.write(
        `  round ${r + 1} ${setup.name}: ${result.rps.toFixed(0)}/s, main thread ${result.mainUs.toFixed(0)} µs/req, ` +
          `process ${result.cpuUs.toFixed(0)} µs/req\n`,
      )
    }
  }
  return rows
}
