/**
 * `hookguard/redis`: a dedupe store shared by every instance that uses the
 * same Redis. Bring your own ioredis or node-redis client.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createReceiver, stripe } from 'hookguard'
 * import { redisStore } from 'hookguard/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   store: redisStore({ client, prefix: 'myapp:webhooks:' }),
 * })
 * ```
 *
 * @module
 */
export {
  redisStore,
  type IoRedisLike,
  type NodeRedisLike,
  type RedisStore,
  type RedisStoreOptions,
} from './stores/redis.js'
