/**
 * Shared pieces of the fault tests: a provider and signed deliveries, a
 * node:http front for a receiver, a queue that counts enqueues without
 * deduplicating (so a double enqueue would show), and child receiver
 * processes (see receiver-process.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { stripe, type QueuedEvent, type Receiver, type WebhookQueue } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'

export const SECRET = 'whsec_faults_5f3c0a9e1b7d4c2a8e6f'
export const makeProvider = () => stripe({ secret: SECRET })

export function eventBody(id: string): string {
  return JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })
}

export interface Delivery {
  id: string
  headers: Record<string, string>
  body: string
}

/** A correctly signed delivery of event `id`; `timestamp` in seconds defaults to now. */
export async function signed(id: string, timestamp?: number): Promise<Delivery> {
  const request = await signRequest(makeProvider(), {
    body: eventBody(id),
    ...(timestamp !== undefined ? { timestamp } : {}),
  })
  return { id, headers: request.headers, body: request.body as string }
}

export interface Answer {
  status: number
  headers: Record<string, string>
  body: { ok: boolean; status?: string; error?: { code: string } }
}

/** POST a delivery to a receiver listening on loopback `port`. */
export async function post(port: number, delivery: Delivery): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}/webhooks`, {
    method: 'POST',
    headers: { ...delivery.headers, 'content-type': 'application/json' },
    body: delivery.body,
  })
  const text = await response.text()
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => (headers[name] = value))
  return { status: response.status, headers, body: text ? JSON.parse(text) : {} }
}

/** Serve `receiver` on a loopback port with node:http, raw bytes in. */
export async function serve(receiver: Receiver): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const result = await receiver.handle({
      method: req.method ?? '',
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks),
    })
    res.writeHead(result.status, result.headers).end(result.body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/** A queue that records every enqueue and never deduplicates. */
export function countingQueue(): WebhookQueue & { keys: string[]; count(key: string): number } {
  const keys: string[] = []
  return {
    keys,
    count: (key) => keys.filter((k) => k === key).length,
    async enqueue(event: QueuedEvent) {
      keys.push(event.key)
    },
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll `check` until it returns true; fails the test after `attempts`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  attempts = 200,
  everyMs = 25,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return
    await sleep(everyMs)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Configuration of a child receiver process (passed as JSON in HOOKGUARD_CHILD). */
export interface ChildConfig {
  redisPort: number
  /** Store prefix; the child's queue pushes each enqueued key onto `${prefix}enqueued`. */
  prefix: string
  leaseMs: number
  storeTimeoutMs: number
  queueTimeoutMs: number
  /** Each enqueue sleeps this long before it pushes, to widen the in-flight window. */
  enqueueDelayMs?: number
  /** When set, each enqueue waits until this Redis key exists before it pushes. */
  gateKey?: string
  /**
   * Freeze the pipeline at one point of a delivery, announce it on stdout and
   * never go on, so the test can SIGKILL the process right there.
   */
  hang?: 'before-enqueue' | 'after-enqueue' | 'after-complete'
  /** Enqueue is a no-op for a key enqueued before (like BullMQ's jobId or SQLite's unique key). */
  idempotentQueue?: boolean
}

export interface ChildReceiver {
  readonly port: number
  readonly process: ChildProcess
  /** Keys whose delivery reached the `hang` point. */
  readonly hung: string[]
  kill(signal?: NodeJS.Signals): Promise<void>
}

const childSource = fileURLToPath(new URL('./receiver-process.ts', import.meta.url))
let childBundle: Promise<string> | undefined

/**
 * Bundle the child once per test file with esbuild (what tsx runs on), so each
 * child starts as plain Node instead of transpiling the sources again. The
 * bundle sits under node_modules so its package imports resolve.
 */
function bundleChild(): Promise<string> {
  childBundle ??= (async () => {
    const { build } = await import('esbuild')
    const outfile = fileURLToPath(
      new URL(`../../node_modules/.cache/hookguard-faults/receiver-${process.pid}-${Date.now()}.mjs`, import.meta.url),
    )
    await build({
      entryPoints: [childSource],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    })
    return outfile
  })()
  return childBundle
}

/** Delete this file's child bundle (afterAll; running children already loaded it). */
export async function removeChildBundle(): Promise<void> {
  const bundle = childBundle
  childBundle = undefined
  if (bundle) rmSync(await bundle, { force: true })
}

/** Start a receiver in its own Node process and wait until it listens. */
export async function startChildReceiver(config: ChildConfig): Promise<ChildReceiver> {
  const child = spawn(process.execPath, [await bundleChild()], {
    env: { ...process.env, HOOKGUARD_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const hung: string[] = []
  let announcePort: ((port: number) => void) | undefined
  const listening = new Promise<number>((resolve, reject) => {
    announcePort = resolve
    child.once('exit', (code, signal) => reject(new Error(`child receiver exited early (${code ?? signal})`)))
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let message: { listening?: number; hung?: string }
    try {
      message = JSON.parse(line)
    } catch {
      return
    }
    if (message.listening) announcePort?.(message.listening)
    if (message.hung) hung.push(message.hung)
  })
  const port = await listening
  return {
    port,
    process: child,
    hung,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill(signal)
      await exited
    },
  }
}

/**
 * After a reserve that landed late (its request was already answered 503),
 * keeps retrying `delivery`: every answer inside that orphaned lease must be
 * 409, then exactly one 200 accepted, then 200 duplicate; the queue holds the
 * key once.
 */
export async function expectAcceptedOnceAfterLateLease(
  port: number,
  delivery: Delivery,
  queue: { keys: string[] },
  key: string,
): Promise<void> {
  const { expect } = await import('vitest')
  const statuses: number[] = []
  await waitFor(
    'the late lease to end',
    async () => {
      const answer = await post(port, delivery)
      statuses.push(answer.status)
      return answer.status !== 409
    },
    100,
    100,
  )
  expect(statuses.slice(0, -1).every((status) => status === 409)).toBe(true)
  expect(statuses.at(-1)).toBe(200)
  expect((await post(port, delivery)).body.status).toBe('duplicate')
  expect(queue.keys).toEqual([key])
}
