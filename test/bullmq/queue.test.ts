import fc from 'fast-check'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterEach, describe, expect, it } from 'vitest'
import { createReceiver, stripe } from '../../src/index.js'
import { bullmqQueue, bullmqWorker, jobIdForKey, keyForJobId, type BullmqQueue } from '../../src/bullmq.js'
import { describeWithRedis } from '../support/services.js'
import type { WebhookEvent } from '../../src/types/index.js'
import { dropPrefix, sampleEvent, sleep, uniquePrefix, url, waitFor } from './helpers.js'

describe('jobIdForKey / keyForJobId', () => {
  it('round-trips any string, lone surrogates included', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n))
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (key) => {
        expect(keyForJobId(jobIdForKey(key))).toBe(key)
      }),
      { numRuns: 2000 },
    )
  })

  it('never yields an id BullMQ refuses: no ":" and never an integer', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (key) => {
        const id = jobIdForKey(key)
        expect(id).not.toContain(':')
        expect(`${parseInt(id, 10)}`).not.toBe(id)
      }),
    )
    expect(jobIdForKey('0')).toBe('hg-0')
    expect(jobIdForKey('12345')).toBe('hg-12345')
  })

  it('keeps ordinary keys readable and tells other ids apart', () => {
    expect(jobIdForKey('stripe:default:evt_1')).toBe('hg-stripe%3Adefault%3Aevt_1')
    expect(keyForJobId('hg-a%253Ab')).toBe('a%3Ab')
    expect(keyForJobId('42')).toBeUndefined()
  })
})

describe('bullmqQueue options', () => {
  it('throws a TypeError that says what to fix', () => {
    expect(() => bullmqQueue(undefined as never)).toThrow(/connection/)
    expect(() => bullmqQueue({} as never)).toThrow(TypeError)
    expect(() => bullmqQueue({ connection: { url }, name: 'a:b' })).toThrow(/without ':'/)
    expect(() => bullmqQueue({ connection: { url }, removeOnComplete: true as never })).toThrow(/break dedupe/)
    expect(() => bullmqQueue({ connection: { url }, removeOnComplete: { age: 0 } })).toThrow(/age/)
    expect(() => bullmqQueue({ connection: { url }, attempts: 0 })).toThrow(/attempts/)
    expect(() => bullmqQueue({ connection: { url }, concurrency: 1.5 })).toThrow(/concurrency/)
    expect(() => bullmqWorker({ connection: { url }, handler: 'nope' as never })).toThrow(/handler/)
    expect(() => bullmqQueue({ connection: { url }, onRetry: 'nope' as never })).toThrow(/onRetry/)
    expect(() => bullmqQueue({ connection: { url }, logger: { warn() {} } as never })).toThrow(/logger/)
    expect(() => bullmqQueue({ connection: { url }, now: 1 as never })).toThrow(/now must be a function/)
  })
})

describeWithRedis('bullmqQueue on Redis', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  function makeQueue(prefix: string, options: Partial<Parameters<typeof bullmqQueue>[0]> = {}): BullmqQueue {
    const queue = bullmqQueue({
      connection: { url },
      prefix,
      attempts: 3,
      backoffMs: 10,
      maxBackoffMs: 50,
      logger: false,
      ...options,
    })
    cleanups.push(() => queue.close())
    return queue
  }
  function track(prefix: string): string {
    cleanups.push(() => dropPrefix(prefix))
    return prefix
  }

  it('keys with ":", "%", spaces, emoji, NUL and lone surrogates reach the handler unchanged, one job each', async () => {
    const prefix = track(uniquePrefix('keys'))
    const queue = makeQueue(prefix)
    const keys = [
      'stripe:default:evt:with:colons',
      'a%3Ab',
      'a:b',
      '0',
      '12345',
      'sp ace/é💥',
      'nul\u0000byte',
      'lone\ud800',
      'lone\udc00',
      'x'.repeat(500),
    ]
    await Promise.all(keys.map((key) => queue.enqueue(sampleEvent(key))))
    await Promise.all(keys.map((key) => queue.enqueue(sampleEvent(key))))
    const seen: string[] = []
    queue.process(async (event) => void seen.push(event.key))
    await waitFor(() => seen.length === keys.length, 10_000, 'all keys')
    await sleep(200)
    expect(seen.sort()).toEqual([...keys].sort())
    for (const key of keys) expect(await queue.bullmq.getJobState(jobIdForKey(key))).toBe('completed')
  })

  it('two queue instances on two connections insert a key once, however they race', async () => {
    const prefix = track(uniquePrefix('race'))
    const client = new Redis(url)
    cleanups.push(async () => void client.disconnect())
    const a = makeQueue(prefix, { worker: false })
    const b = makeQueue(prefix, { connection: client, worker: false })
    const keys = Array.from({ length: 30 }, (_, i) => `stripe:default:evt_${i}`)
    await Promise.all(
      keys.flatMap((key) => [a.enqueue(sampleEvent(key)), b.enqueue(sampleEvent(key)), a.enqueue(sampleEvent(key))]),
    )
    expect(await a.bullmq.getJobCounts('waiting')).toEqual({ waiting: 30 })

    const runs = new Map<string, number>()
    const worker = bullmqWorker({
      connection: { url },
      prefix,
      handler: (e) => void runs.set(e.key, (runs.get(e.key) ?? 0) + 1),
      logger: false,
    })
    cleanups.push(() => worker.close())
    await waitFor(() => runs.size === 30, 10_000, 'all handled')
    // Re-deliveries of completed keys, from either instance, stay no-ops.
    await Promise.all(keys.map((key) => b.enqueue(sampleEvent(key))))
    await sleep(300)
    expect([...runs.values()].every((n) => n === 1)).toBe(true)
    expect(await a.bullmq.getJobCounts('waiting', 'completed')).toEqual({ waiting: 0, completed: 30 })
  })

  it('the retry policy travels with the job: a separate worker retries with the producer’s attempts and backoff, then dead-letters into the failed set', async () => {
    const prefix = track(uniquePrefix('policy'))
    const producer = makeQueue(prefix, { attempts: 2, backoffMs: 80, maxBackoffMs: 80, worker: false })
    const retries: Array<{ attempt: number; delayMs: number }> = []
    const dead: Array<{ event: WebhookEvent; error: unknown }> = []
    const attempts: number[] = []
    const worker = bullmqWorker({
      connection: { url },
      prefix,
      logger: false,
      handler: (event) => {
        attempts.push(event.attempt)
        throw 'not an Error object'
      },
      onRetry: (event, _error, delayMs) => retries.push({ attempt: event.attempt, delayMs }),
      onDeadLetter: (event, error) => dead.push({ event, error }),
    })
    cleanups.push(() => worker.close())
    await producer.enqueue(sampleEvent('k:policy'))
    await waitFor(() => dead.length === 1, 10_000, 'dead letter')
    await sleep(300)
    expect(attempts).toEqual([1, 2])
    expect(retries).toHaveLength(1)
    expect(retries[0]!.attempt).toBe(1)
    // Equal jitter: between half and all of the 80 ms ceiling.
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(40)
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(80)
    expect(dead[0]!.event.attempt).toBe(2)
    expect(dead[0]!.error).toBe('not an Error object')
    const failed = await producer.bullmq.getFailed()
    expect(failed.map((job) => keyForJobId(job.id!))).toEqual(['k:policy'])
    expect(failed[0]!.failedReason).toBe('not an Error object')
    expect(await producer.deadLetters()).toMatchObject([
      { key: 'k:policy', error: 'not an Error object', attempts: 2, event: { attempt: 2 } },
    ])
    // A re-delivery of a dead-lettered key runs it again from attempt 1, with the re-delivered event.
    await producer.enqueue(sampleEvent('k:policy', { payload: { resent: true } }))
    await waitFor(() => dead.length === 2, 10_000, 'the second dead letter')
    expect(attempts).toEqual([1, 2, 1, 2])
    expect(dead[1]!.event).toMatchObject({ attempt: 2, payload: { resent: true } })
  })

  it('a dead key revived while no worker runs becomes one waiting job; later enqueues leave it alone', async () => {
    const prefix = track(uniquePrefix('revive'))
    const client = new Redis(url)
    cleanups.push(async () => void client.disconnect())
    const a = makeQueue(prefix, { attempts: 1, worker: false })
    const b = makeQueue(prefix, { connection: client, worker: false })
    const failing = bullmqWorker({
      connection: { url },
      prefix,
      logger: false,
      handler: () => Promise.reject(new Error('down')),
    })
    await a.enqueue(sampleEvent('k:rev', { payload: 'v1' }))
    await waitFor(async () => (await a.stats()).dead === 1, 10_000, 'the dead letter')
    await failing.close()

    const versions = ['v2', 'v3', 'v4', 'v5']
    await Promise.all(versions.map((v, i) => (i % 2 ? b : a).enqueue(sampleEvent('k:rev', { payload: v }))))
    expect(await a.stats()).toEqual({ pending: 1, running: 0, done: 0, dead: 0 })
    const job = (await a.bullmq.getJob(jobIdForKey('k:rev')))!
    const revivedWith = (job.data as { event: { payload: string } }).event.payload
    expect(versions).toContain(revivedWith)
    expect(job.attemptsMade).toBe(0)
    // Pending now: a further enqueue is a no-op and swaps nothing.
    await b.enqueue(sampleEvent('k:rev', { payload: 'v6' }))
    expect(((await a.bullmq.getJob(jobIdForKey('k:rev')))!.data as { event: { payload: string } }).event.payload).toBe(
      revivedWith,
    )

    const runs: WebhookEvent[] = []
    const worker = bullmqWorker({ connection: { url }, prefix, logger: false, handler: (e) => void runs.push(e) })
    cleanups.push(() => worker.close())
    await waitFor(() => runs.length === 1, 10_000, 'the revived job')
    await sleep(300)
    expect(runs.map((e) => [e.attempt, e.payload])).toEqual([[1, revivedWith]])
  })

  it('jobs of another producer on the same queue are not hookguard dead letters', async () => {
    const prefix = track(uniquePrefix('foreign'))
    const queue = makeQueue(prefix, { attempts: 1 })
    queue.process(() => {
      throw new Error('ours fails')
    })
    await queue.bullmq.add('not-ours', { hello: 'world' }, { jobId: 'foreign-1' })
    await queue.enqueue(sampleEvent('k:ours'))
    await waitFor(async () => (await queue.stats()).dead === 2, 10_000, 'both in the failed set')
    expect((await queue.deadLetters()).map((letter) => letter.key)).toEqual(['k:ours'])
    expect(await queue.discardDead('k:ours')).toBe(true)
    expect(await queue.retryAllDead()).toBe(0)
    expect(await queue.bullmq.getJobState('foreign-1')).toBe('failed')
  })

  it('completed jobs are trimmed by removeOnComplete, and only then can their key run again', async () => {
    const prefix = track(uniquePrefix('keep'))
    const queue = makeQueue(prefix, { removeOnComplete: { count: 1 } })
    const runs: string[] = []
    queue.process((event) => void runs.push(event.key))
    await queue.enqueue(sampleEvent('k:first'))
    await waitFor(() => runs.length === 1)
    await queue.enqueue(sampleEvent('k:first'))
    await sleep(200)
    expect(runs).toEqual(['k:first'])
    await queue.enqueue(sampleEvent('k:second'))
    await waitFor(() => runs.length === 2)
    await waitFor(async () => (await queue.bullmq.getJobState(jobIdForKey('k:first'))) === 'unknown', 5000, 'trim')
    await queue.enqueue(sampleEvent('k:first'))
    await waitFor(() => runs.length === 3)
    expect(runs).toEqual(['k:first', 'k:second', 'k:first'])
  })

  it('an ioredis instance passed in is used but never closed, even with its default maxRetriesPerRequest', async () => {
    const prefix = track(uniquePrefix('owned'))
    const client = new Redis(url)
    cleanups.push(async () => void client.disconnect())
    expect(client.options.maxRetriesPerRequest).not.toBeNull()
    const queue = bullmqQueue({ connection: client, prefix, logger: false })
    const done: string[] = []
    queue.process((event) => void done.push(event.key))
    await queue.enqueue(sampleEvent('k:own'))
    await waitFor(() => done.length === 1)
    await queue.close()
    expect(client.status).toBe('ready')
    expect(await client.ping()).toBe('PONG')
  })

  it('a node-redis client works too and is left open', async () => {
    const prefix = track(uniquePrefix('noderedis'))
    const client = await createClient({ url }).connect()
    cleanups.push(async () => void (await client.quit()))
    const queue = bullmqQueue({ connection: client as never, prefix, logger: false, attempts: 1 })
    const done: string[] = []
    queue.process((event) => {
      done.push(`${event.key}#${event.attempt}=${String(event.payload)}`)
      if (event.payload === 'fail') throw new Error('fails')
    })
    await queue.enqueue(sampleEvent('k:nr'))
    await queue.enqueue(sampleEvent('k:nr'))
    await waitFor(() => done.length === 1)
    // The dead-letter scripts run on a node-redis client too.
    await queue.enqueue(sampleEvent('k:nr-dead', { payload: 'fail' }))
    await waitFor(async () => (await queue.stats()).dead === 1)
    await queue.enqueue(sampleEvent('k:nr-dead', { payload: 'ok' }))
    await waitFor(() => done.length === 3)
    expect(await queue.discardDead('k:nr')).toBe(false)
    await queue.close()
    expect(done.map((d) => d.replace(/=\[object Object\]/, ''))).toEqual([
      'k:nr#1',
      'k:nr-dead#1=fail',
      'k:nr-dead#1=ok',
    ])
    expect(client.isOpen).toBe(true)
  })

  it('says once, through the logger, when the server runs without AOF (and stays quiet when AOF is on)', async () => {
    const prefix = track(uniquePrefix('aof'))
    const client = new Redis(url)
    cleanups.push(async () => void client.disconnect())
    const aofOff = /^aof_enabled:0\s*$/m.test(await client.info('persistence'))
    const warnings: string[] = []
    const queue = makeQueue(prefix, {
      worker: false,
      logger: { warn: (_fields, message) => warnings.push(message), error: () => {} },
    })
    await queue.enqueue(sampleEvent('k:aof'))
    if (aofOff) await waitFor(() => warnings.length > 0, 5000, 'the warning')
    else await sleep(300)
    expect(warnings.filter((w) => w.includes('appendonly no'))).toHaveLength(aofOff ? 1 : 0)
  })

  it('close() stops intake; process() refuses a second handler and a worker: false queue', async () => {
    const prefix = track(uniquePrefix('close'))
    const queue = makeQueue(prefix)
    queue.process(() => {})
    expect(() => queue.process(() => {})).toThrow(/already running/)
    await queue.close()
    await expect(queue.enqueue(sampleEvent('k:late'))).rejects.toThrow(/closed/)

    const producerOnly = makeQueue(prefix, { worker: false })
    expect(() =>
      createReceiver({
        provider: stripe({ secret: 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc' }),
        queue: producerOnly,
        handler: () => {},
        logger: false,
      }),
    ).toThrow(/bullmqWorker/)
  })
})
