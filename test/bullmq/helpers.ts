/**
 * Shared pieces of the BullMQ tests: a unique key prefix per test, so files
 * and tests can run in parallel on one Redis, and its removal afterwards.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { REDIS_URL } from '../support/services.js'
import type { QueuedEvent } from '../../src/types/index.js'

export const url = REDIS_URL ?? 'redis://127.0.0.1:6379/0'

/** A prefix no other test uses: `hgtest-bullmq-<file>-<random>`. */
export function uniquePrefix(file: string): string {
  return `hgtest-bullmq-${file}-${randomBytes(5).toString('hex')}`
}

/** Deletes every key under `prefix:`. */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await client.connect()
    // Buffers, not strings: a key that is not valid UTF-8 would not survive a round trip through a JS string.
    let cursor = '0'
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      cursor = next.toString()
      if (keys.length > 0) await client.del(...keys)
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}

export function sampleEvent(key: string, extra: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    id: key.split(':').pop()!,
    key,
    provider: 'stripe',
    type: 'payment_intent.succeeded',
    timestamp: 1_700_000_000,
    receivedAt: 1_700_000_000_123,
    payload: { id: key },
    headers: { 'content-type': 'application/json' },
    ...extra,
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
