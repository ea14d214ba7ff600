/**
 * What Redis and its two clients do with unusual keys, as the receiver's key
 * limits rely on it: Redis takes keys far larger than any limit the receiver
 * sets (its documented maximum is 512 MB), keeps NUL bytes, and both clients
 * encode a lone UTF-16 surrogate as U+FFFD, so two different ids can collide.
 */
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redisStore } from '../../src/redis.js'
import { describeWithRedis, REDIS_URL } from '../support/services.js'

const run = `hookguard-test:redis-keys:${process.pid}:${Date.now()}:`

describeWithRedis('redisStore keys on a real Redis', () => {
  const io = new Redis(REDIS_URL!, { lazyConnect: true })
  const node = createClient({ url: REDIS_URL! })
  beforeAll(async () => {
    await io.connect()
    await node.connect()
  })
  afterAll(async () => {
    const keys = await io.keys(`${run}*`)
    if (keys.length > 0) await io.del(...keys)
    await io.quit()
    await node.close()
  })

  for (const kind of ['ioredis', 'node-redis'] as const) {
    const store = () => redisStore({ client: kind === 'ioredis' ? io : node, prefix: `${run}${kind}:` })

    it(`${kind}: a 1 MiB key of multibyte characters works end to end`, async () => {
      const key = `stripe:default:${'é💥'.repeat(174_763)}`
      expect(Buffer.byteLength(key)).toBeGreaterThan(1024 * 1024)
      const s = store()
      const first = await s.reserve(key, 30_000)
      if (first.status !== 'reserved') throw new Error('expected reserved')
      expect(await s.complete(key, first.token, 60_000)).toBe(true)
      expect((await s.reserve(key, 30_000)).status).toBe('duplicate')
      expect((await s.reserve(key.slice(0, -1), 30_000)).status).toBe('reserved')
    })

    it(`${kind}: NUL characters are kept, so keys that differ after one stay apart`, async () => {
      const s = store()
      expect((await s.reserve('nul:a\u0000b', 30_000)).status).toBe('reserved')
      expect((await s.reserve('nul:a\u0000c', 30_000)).status).toBe('reserved')
      expect(await io.exists(`${run}${kind}:nul:a\u0000b`)).toBe(1)
    })

    it(`${kind}: a lone surrogate is sent as U+FFFD, so two different ids collide (the receiver must refuse them)`, async () => {
      const s = store()
      expect((await s.reserve('lone:\uD800', 30_000)).status).toBe('reserved')
      expect((await s.reserve('lone:\uDC00', 30_000)).status).toBe('in_flight')
      expect(await io.exists(`${run}${kind}:lone:\uFFFD`)).toBe(1)
    })
  }
})
