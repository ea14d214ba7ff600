/**
 * Internal: dead letters on BullMQ — its failed set. Listing, putting a job
 * back with fresh attempts (by `retryDead` or by enqueueing its key again),
 * and discarding.
 *
 * Reviving takes two steps: a small script that, only while the job is in the
 * failed set, swaps in the new event; then BullMQ's own retry, which moves it
 * from the failed set to the wait list atomically. Of two concurrent revivals
 * of one key only one retry finds the job still failed; the other is a no-op,
 * so the handler runs once.
 *
 * @module
 */
import type { Job, Queue } from 'bullmq'
import type { DeadLetter, QueueStats, WebhookEvent } from '../../types/index.js'
import { deadLetter } from '../internal/event.js'
import { jobIdForKey, keyForJobId } from './job-id.js'
import type { JobData } from './options.js'

const REVIVE = 'hookguardReviveDead'
const DISCARD = 'hookguardDiscardDead'

// KEYS[1] failed set, KEYS[2] job hash; ARGV[1] job id, ARGV[2] new job data ('' keeps the old).
// 1: dead (data swapped, stalled counter cleared), 2: the job exists in another state, 0: no such job.
const REVIVE_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], 'data', ARGV[2]) end
  redis.call('HDEL', KEYS[2], 'stc')
  return 1
end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
return 0`

// KEYS[1] failed set, KEYS[2] job hash; ARGV[1] job id. Deletes the job only if it is dead (the keys BullMQ's removeJobKeys deletes).
const DISCARD_LUA = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
local job = KEYS[2]
redis.call('DEL', job, job .. ':logs', job .. ':dependencies', job .. ':processed', job .. ':failed', job .. ':unsuccessful')
return 1`

const defined = new WeakSet<object>()

async function runScript(queue: Queue, name: string, jobId: string, data = ''): Promise<number> {
  const client = await queue.getBackend().client
  if (!defined.has(client)) {
    client.defineCommand(REVIVE, { numberOfKeys: 2, lua: REVIVE_LUA })
    client.defineCommand(DISCARD, { numberOfKeys: 2, lua: DISCARD_LUA })
    defined.add(client)
  }
  const args = name === REVIVE ? [jobId, data] : [jobId]
  return Number(await client.runCommand(name, [queue.toKey('failed'), queue.toKey(jobId), ...args]))
}

/** BullMQ's retry of a failed job with its attempt counters reset; false when another caller moved it first. */
async function retryFailed(queue: Queue, jobId: string): Promise<'revived' | 'taken' | 'gone'> {
  const job = await queue.getJob(jobId)
  if (!job) return 'gone'
  try {
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
    return 'revived'
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === -3) return 'taken' // no longer in the failed set: another caller revived it
    if (code === -1) return 'gone'
    throw error
  }
}

/**
 * Before an add: revives a dead job with the new data. Returns whether an
 * add is still needed (no job with this id exists).
 */
export async function reviveForEnqueue(queue: Queue, jobId: string, data: JobData): Promise<boolean> {
  const found = await runScript(queue, REVIVE, jobId, JSON.stringify(data))
  if (found === 0) return true
  if (found === 2) return false
  return (await retryFailed(queue, jobId)) === 'gone'
}

export async function retryDead(queue: Queue, key: string): Promise<boolean> {
  const jobId = jobIdForKey(key)
  if ((await runScript(queue, REVIVE, jobId)) !== 1) return false
  return (await retryFailed(queue, jobId)) === 'revived'
}

/** Every dead hookguard job at the time of the call, a few at a time. */
export async function retryAllDead(queue: Queue): Promise<number> {
  const client = await queue.getBackend().client
  const keys: string[] = []
  for (let start = 0; ; start += 1000) {
    const ids = await client.zrange(queue.toKey('failed'), start, start + 999)
    for (const id of ids) {
      const key = keyForJobId(id)
      if (key !== undefined) keys.push(key)
    }
    if (ids.length < 1000) break
  }
  let revived = 0
  for (let i = 0; i < keys.length; i += 16) {
    const results = await Promise.all(keys.slice(i, i + 16).map((key) => retryDead(queue, key)))
    revived += results.filter(Boolean).length
  }
  return revived
}

export async function discardDead(queue: Queue, key: string): Promise<boolean> {
  return (await runScript(queue, DISCARD, jobIdForKey(key))) === 1
}

function toDeadLetter(job: Job): DeadLetter | undefined {
  const key = job.id === undefined ? undefined : keyForJobId(job.id)
  const data = job.data as Partial<JobData> | undefined
  if (key === undefined || !data || data.v !== 1 || !data.event) return undefined
  // A job failed for stalling too often may have no attempt counted: it still ran once.
  const event: WebhookEvent = Object.assign({}, data.event, { attempt: Math.max(1, job.attemptsMade) })
  return deadLetter(event, job.failedReason ?? '', job.finishedOn ?? job.timestamp)
}

/** The newest `limit` entries of the failed set that are hookguard jobs. */
export async function listDead(queue: Queue, limit: number): Promise<DeadLetter[]> {
  const jobs = await queue.getFailed(0, limit - 1)
  return jobs.map(toDeadLetter).filter((letter): letter is DeadLetter => letter !== undefined)
}

export async function countStates(queue: Queue): Promise<QueueStats> {
  const counts = await queue.getJobCounts(
    'waiting',
    'delayed',
    'prioritized',
    'waiting-children',
    'active',
    'completed',
    'failed',
  )
  const n = (type: string): number => counts[type] ?? 0
  return {
    pending: n('waiting') + n('delayed') + n('prioritized') + n('waiting-children'),
    running: n('active'),
    done: n('completed'),
    dead: n('failed'),
  }
}
