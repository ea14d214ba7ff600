import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterEach, expect, it } from 'vitest'
import { hookguard } from '../../adapters/node.js'
import { createReceiver, memoryStore, stripe, type Receiver } from '../../src/index.js'
import { bullmqQueue, bullmqWorker, jobIdForKey } from '../../src/bullmq.js'
import { redisStore } from '../../src/redis.js'
import { signRequest } from '../../src/testing.js'
import type { WebhookEvent } from '../../src/types/index.js'
import { describeWithRedis } from '../support/services.js'
import { dropPrefix, sleep, uniquePrefix, url, waitFor } from './helpers.js'

const SECRET = 'whsec_test_bullmq_e2e_0123456789abcdef'
const provider = stripe({ secret: SECRET })
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

async function signed(id: string): Promise<{ headers: Record<string, string>; body: string }> {
  const body = JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: { amount: 4200 } } })
  const { headers } = await signRequest(provider, { body })
  return { headers: { ...headers, 'content-type': 'application/json' }, body }
}

function child(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fixture(script)], {
    env: { ...process.env, REDIS_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

describeWithRedis('receiver + redisStore + bullmqQueue, end to end', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  function track(prefix: string): string {
    cleanups.push(() => dropPrefix(prefix))
    return prefix
  }
  function redis(): Redis {
    const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    cleanups.push(() => client.disconnect())
    return client
  }
  async function listen(receiver: Receiver): Promise<string> {
    const server: Server = createServer(hookguard(receiver))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`
  }

  it('over HTTP: 200 accepted, a duplicate is 200 duplicate with no second job, the handler runs once', async () => {
    const prefix = track(uniquePrefix('e2e'))
    const client = redis()
    await once(client, 'ready')
    const handled: WebhookEvent[] = []
    const queue = bullmqQueue({ connection: client, prefix, logger: false })
    const receiver = createReceiver({
      provider,
      store: redisStore({ client, prefix: `${prefix}:dedupe:` }),
      queue,
      handler: (e) => void handled.push(e),
      logger: false,
    })
    cleanups.push(() => receiver.close())
    const endpoint = await listen(receiver)
    const delivery = await signed('evt_e2e_1')

    const first = await fetch(endpoint, { method: 'POST', headers: delivery.headers, body: delivery.body })
    expect(first.status).toBe(200)
    expect(first.headers.get('hookguard-outcome')).toBe('accepted')
    const again = await fetch(endpoint, { method: 'POST', headers: delivery.headers, body: delivery.body })
    expect(again.status).toBe(200)
    expect(again.headers.get('hookguard-duplicate')).toBe('true')

    await waitFor(() => handled.length === 1, 10_000, 'handler')
    await sleep(200)
    expect(handled).toHaveLength(1)
    expect(handled[0]).toMatchObject({
      id: 'evt_e2e_1',
      key: 'stripe:default:evt_e2e_1',
      provider: 'stripe',
      type: 'invoice.paid',
      attempt: 1,
      payload: { data: { object: { amount: 4200 } } },
    })
    expect(handled[0]!.headers['stripe-signature']).not.toContain('v1=')
    expect(await queue.bullmq.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed')).toEqual({
      waiting: 0,
      active: 0,
      completed: 1,
      failed: 0,
      delayed: 0,
    })
  })

  it('enqueue failure: 503 with Retry-After, the reservation is released, and the retry enqueues exactly once', async () => {
    const prefix = track(uniquePrefix('down'))
    const probe = createServer()
    probe.listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const closedPort = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))

    const storeClient = redis()
    await once(storeClient, 'ready')
    const store = redisStore({ client: storeClient, prefix: `${prefix}:dedupe:` })
    const broken = bullmqQueue({
      connection: { host: '127.0.0.1', port: closedPort, enableOfflineQueue: false },
      prefix,
      worker: false,
      logger: false,
    })
    const down = createReceiver({ provider, store, queue: broken, queueTimeoutMs: 500, logger: false })
    cleanups.push(() => down.close())
    const delivery = await signed('evt_down_1')
    const result = await down.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect(result.status).toBe(503)
    expect(Number(result.headers['retry-after'])).toBeGreaterThan(0)
    expect(result.outcome).toMatchObject({ kind: 'unavailable', code: expect.stringMatching(/^queue\./) })

    // Released: nobody holds the key, so a retry is not told 409.
    const handled: string[] = []
    const queue = bullmqQueue({ connection: { url }, prefix, logger: false })
    const up = createReceiver({ provider, store, queue, handler: (e) => void handled.push(e.key), logger: false })
    cleanups.push(() => up.close())
    const retried = await up.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect(retried.status).toBe(200)
    expect(retried.outcome.kind).toBe('accepted')
    await waitFor(() => handled.length === 1, 10_000, 'handler')
    expect((await up.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })).outcome.kind).toBe(
      'duplicate',
    )
    await sleep(200)
    expect(handled).toEqual(['stripe:default:evt_down_1'])
  })

  // Crash tests spawn processes (tsx start-up takes seconds on a busy machine), hence the longer timeouts.
  it(
    'a receiver SIGKILLed after enqueue, before complete: the re-delivery to a fresh receiver re-enqueues idempotently and the handler runs once',
    { timeout: 60_000 },
    async () => {
      const prefix = track(uniquePrefix('crash'))
      const delivery = await signed('evt_crash_1')
      const crashed = child('crash-receiver.ts', {
        HG_PREFIX: prefix,
        HG_SECRET: SECRET,
        HG_REQUEST: JSON.stringify(delivery),
      })
      const [code, signal] = (await once(crashed, 'exit')) as [number | null, NodeJS.Signals | null]
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' })

      // The dead receiver's store is gone with it, so the key was never completed anywhere.
      const handled: string[] = []
      const queue = bullmqQueue({ connection: { url }, prefix, logger: false, worker: false })
      cleanups.push(() => queue.close())
      expect(await queue.bullmq.getJobState(jobIdForKey('stripe:default:evt_crash_1'))).toBe('waiting')
      const receiver = createReceiver({ provider, store: memoryStore(), queue, logger: false })
      const result = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect(result.outcome.kind).toBe('accepted')

      const worker = bullmqWorker({
        connection: { url },
        prefix,
        handler: (e) => void handled.push(e.key),
        logger: false,
      })
      cleanups.push(() => worker.close())
      await waitFor(() => handled.length === 1, 10_000, 'handler')
      await sleep(300)
      expect(handled).toEqual(['stripe:default:evt_crash_1'])
      expect(await queue.bullmq.getJobCounts('waiting', 'completed')).toEqual({ waiting: 0, completed: 1 })
    },
  )

  it(
    'a worker process SIGKILLed mid-job: the stalled check hands the job to a new worker, which completes it once',
    { timeout: 60_000 },
    async () => {
      const prefix = track(uniquePrefix('stall'))
      const log = redis()
      await once(log, 'ready')
      const runsKey = `${prefix}:test:runs`
      const queue = bullmqQueue({ connection: { url }, prefix, logger: false, worker: false })
      cleanups.push(() => queue.close())
      await queue.enqueue({
        id: 'evt_stall',
        key: 'stripe:default:evt_stall',
        provider: 'stripe',
        receivedAt: Date.now(),
        payload: {},
        headers: {},
      })

      const doomed = child('worker.ts', { HG_PREFIX: prefix, HG_TAG: 'doomed' })
      cleanups.push(() => void doomed.kill('SIGKILL'))
      await waitFor(
        async () => (await log.lrange(runsKey, 0, -1)).length === 1,
        40_000,
        'the doomed worker to start the job',
      )
      doomed.kill('SIGKILL')
      await once(doomed, 'exit')
      expect(await queue.bullmq.getJobState(jobIdForKey('stripe:default:evt_stall'))).toBe('active')

      // The new worker (here in the test process) finds the job once the dead worker's lock lapses.
      const rescuer = bullmqWorker({
        connection: { url },
        prefix,
        lockDuration: 1000,
        stalledInterval: 300,
        logger: false,
        handler: async (event) => {
          await log.rpush(runsKey, `rescuer:${event.key}:${event.attempt}:start`)
          await log.rpush(runsKey, `rescuer:${event.key}:${event.attempt}:done`)
        },
      })
      cleanups.push(() => rescuer.close())
      await waitFor(
        async () => (await queue.bullmq.getJobState(jobIdForKey('stripe:default:evt_stall'))) === 'completed',
        15_000,
        'the rescued job to complete',
      )
      await sleep(500)
      // A crash is not a failed attempt: the rescuer runs attempt 1 again, and only once.
      expect(await log.lrange(runsKey, 0, -1)).toEqual([
        'doomed:stripe:default:evt_stall:1:start',
        'rescuer:stripe:default:evt_stall:1:start',
        'rescuer:stripe:default:evt_stall:1:done',
      ])
    },
  )
})
