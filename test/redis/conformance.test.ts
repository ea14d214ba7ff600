import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll } from 'vitest'
import { describeStoreConformance } from '../../src/conformance/index.js'
import { describeWithRedis, REDIS_URL } from '../support/services.js'
import type { DedupeStore } from '../../src/types/index.js'
import { redisStore, type RedisStore } from '../../src/redis.js'

// Unique per run so parallel files and earlier runs never share keys.
const run = `hookguard-test:redis-conformance:${process.pid}:${Date.now()}:`
let namespaces = 0

describeWithRedis('redisStore on Redis', () => {
  const ioClients = new Map<DedupeStore, Redis>()
  const nodeClients = new Map<DedupeStore, { close(): Promise<unknown> }>()
  const cleanup = new Redis(REDIS_URL!, { lazyConnect: true })

  afterAll(async () => {
    // Remove what this file wrote; the keys carry short TTLs anyway.
    const keys = await cleanup.keys(`${run}*`)
    if (keys.length > 0) await cleanup.del(...keys)
    cleanup.disconnect()
  })

  describeStoreConformance('redisStore (ioredis)', {
    make() {
      const client = new Redis(REDIS_URL!)
      const store = redisStore({ client, prefix: `${run}io:${namespaces++}:` })
      ioClients.set(store, client)
      return store
    },
    peer(store) {
      const client = new Redis(REDIS_URL!)
      const peer = redisStore({ client, prefix: (store as RedisStore).prefix })
      ioClients.set(peer, client)
      return peer
    },
    async destroy(store) {
      await ioClients.get(store)?.quit()
      ioClients.delete(store)
    },
  })

  describeStoreConformance('redisStore (node-redis)', {
    async make() {
      const client = createClient({ url: REDIS_URL! })
      await client.connect()
      const store = redisStore({ client, prefix: `${run}node:${namespaces++}:` })
      nodeClients.set(store, client)
      return store
    },
    async peer(store) {
      const client = createClient({ url: REDIS_URL! })
      await client.connect()
      const peer = redisStore({ client, prefix: (store as RedisStore).prefix })
      nodeClients.set(peer, client)
      return peer
    },
    async destroy(store) {
      await nodeClients.get(store)?.close()
      nodeClients.delete(store)
    },
  })
})
