/**
 * A receiver in its own process, for the fault tests: createReceiver with
 * redisStore on the test's private Redis, served by node:http on a loopback
 * port. Its queue pushes every enqueued key onto one Redis list shared by
 * all children (`${prefix}enqueued`), so the test can count enqueues; by
 * default it does not deduplicate, so a double enqueue would show.
 *
 * Prints `{"listening":port}` when ready, and `{"hung":key}` when a delivery
 * reached the configured `hang` point.
 */
import { Redis } from 'ioredis'
import { createReceiver, type QueuedEvent } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { makeProvider, serve, sleep, type ChildConfig } from './support.js'

const config = JSON.parse(process.env.HOOKGUARD_CHILD ?? '{}') as ChildConfig
const client = new Redis({ host: '127.0.0.1', port: config.redisPort, maxRetriesPerRequest: 1 })
await client.ping()

async function hang(point: ChildConfig['hang'], key: string): Promise<void> {
  if (config.hang !== point) return
  process.stdout.write(`${JSON.stringify({ hung: key })}\n`)
  await new Promise(() => {})
}

// Pushes unless the key was enqueued before, in one atomic step.
const PUSH_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX') then redis.call('RPUSH', KEYS[2], ARGV[1]) end
return 1`

const store = redisStore({ client, prefix: config.prefix })
const receiver = createReceiver({
  provider: makeProvider(),
  store: {
    reserve: (key, leaseMs) => store.reserve(key, leaseMs),
    release: (key, token) => store.release(key, token),
    async complete(key, token, retentionMs) {
      const completed = await store.complete(key, token, retentionMs)
      await hang('after-complete', key)
      return completed
    },
  },
  leaseMs: config.leaseMs,
  storeTimeoutMs: config.storeTimeoutMs,
  queueTimeoutMs: config.queueTimeoutMs,
  logger: false,
  queue: {
    async enqueue(event: QueuedEvent) {
      await hang('before-enqueue', event.key)
      if (config.enqueueDelayMs) await sleep(config.enqueueDelayMs)
      if (config.gateKey) while ((await client.exists(config.gateKey)) === 0) await sleep(10)
      if (config.idempotentQueue)
        await client.eval(PUSH_ONCE, 2, `${config.prefix}job:${event.key}`, `${config.prefix}enqueued`, event.key)
      else await client.rpush(`${config.prefix}enqueued`, event.key)
      await hang('after-enqueue', event.key)
    },
  },
})

const server = await serve(receiver)
process.stdout.write(`${JSON.stringify({ listening: server.port })}\n`)
process.on('SIGTERM', () => {
  void server.close().then(() => {
    client.disconnect()
    process.exit(0)
  })
})
