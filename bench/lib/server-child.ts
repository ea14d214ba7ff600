/**
 * A benchmark server in its own process (forked by server.ts), so the
 * client never shares its event loop and `process.cpuUsage()` here is the
 * server's cost alone. argv[2] is a JSON ServerSpec. It answers IPC messages:
 * `mark` (start counting), `report` (CPU and requests since the mark) and
 * `stop`; it exits by itself if the parent goes away or after MAX_LIFETIME_MS.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChildMessage, ParentMessage, ServerSpec, ServerUsage } from './server.js'
import { SERVERS } from './servers/index.js'

/** A child under valgrind runs some 50 times slower: bench:instructions allows it longer. */
const MAX_LIFETIME_MS = Number(process.env.BENCH_SERVER_LIFETIME_MS ?? 120_000)

const spec = JSON.parse(process.argv[2]!) as ServerSpec
const built = await SERVERS[spec.server](spec.options as never)
const server = createServer({ keepAliveTimeout: 30_000 }, built.listener)
let served = 0
server.on('request', () => served++)

function snapshot(): { cpu: NodeJS.CpuUsage; served: number; at: number; monotonicUs: number } {
  return {
    cpu: process.cpuUsage(),
    served,
    at: performance.now(),
    monotonicUs: Number(process.hrtime.bigint() / 1000n),
  }
}
let mark = snapshot()

function send(message: ChildMessage): void {
  process.send!(message)
}

async function usage(): Promise<ServerUsage> {
  const now = snapshot()
  const cpu = process.cpuUsage(mark.cpu)
  return {
    cpuUs: cpu.user + cpu.system,
    userUs: cpu.user,
    systemUs: cpu.system,
    served: now.served - mark.served,
    elapsedMs: now.at - mark.at,
    window: [mark.monotonicUs, now.monotonicUs],
    stats: (await built.stats?.()) ?? {},
  }
}

async function stop(): Promise<never> {
  server.close()
  server.closeAllConnections()
  await built.close?.()
  // A normal exit, so --cpu-prof writes its profile.
  process.exit(0)
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'mark') {
    void Promise.resolve(built.mark?.()).then(() => {
      mark = snapshot()
      send({ type: 'marked' })
    })
  } else if (message.type === 'report') {
    void usage().then((result) => send({ type: 'report', usage: result }))
  } else if (message.type === 'stop') {
    void stop()
  }
})
process.on('disconnect', () => void stop())
setTimeout(() => void stop(), MAX_LIFETIME_MS).unref()

server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }))
