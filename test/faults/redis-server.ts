/**
 * A private `redis-server` for fault tests: started by the test on a free
 * loopback port with persistence off, so it can be killed, restarted and
 * paused without touching the shared Redis on 6379.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { describe } from 'vitest'

const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

/** `describe` that needs the `redis-server` binary; skipped visibly without it. */
export function describeWithRedisServer(title: string, body: () => void): void {
  if (hasRedisServer) {
    describe(title, body)
    return
  }
  console.warn(`[hookguard tests] skipping "${title}": redis-server is not installed`)
  describe.skip(`${title} (skipped: redis-server not installed)`, body)
}

export async function freePort(): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves once the server answers PING on `port`. */
async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** The running server's pid (changes after `restart`). */
  readonly pid: number | undefined
  /** SIGKILL the server and wait until it is gone. */
  kill(): Promise<void>
  /** Start it again on the same port (empty: persistence is off). */
  restart(): Promise<void>
  /** SIGSTOP: the socket stays open, nothing answers. */
  pause(): void
  /** SIGCONT. */
  resume(): void
  /** Kill it for good (afterAll). */
  stop(): Promise<void>
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      {
        stdio: 'ignore',
      },
    )
    const started = child
    for (let i = 0; i < 100; i++) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${started.exitCode}`)
      if (await answersPing(port)) return
      await sleep(50)
    }
    throw new Error(`redis-server on port ${port} did not answer PING`)
  }

  async function kill(): Promise<void> {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, 'exit')
    running.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid
    },
    kill,
    restart: start,
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
    stop: kill,
  }
}
