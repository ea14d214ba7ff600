/**
 * Helpers for the shared-secret provider tests (slack, shopify, twilio,
 * paddle, linear, twitch, gitlab, zoom, square, intercom, mailgun): run a
 * request through a real receiver with a memory queue, so tests can see both
 * the response and what was (or was not) enqueued.
 */
import {
  createReceiver,
  memoryQueue,
  type HandleResult,
  type HeadersInput,
  type Provider,
  type QueuedEvent,
} from '../../src/index.js'
import { NOW_MS } from './core-support.js'

export interface Delivery {
  headers: HeadersInput
  body: string | Uint8Array
  url?: string
}

export interface Run {
  result: HandleResult
  enqueued: QueuedEvent[]
  /** The outcome kind, or the error code when rejected/unavailable. */
  code: string
}

/** One receiver per call; the queue's enqueue is recorded before it runs. */
export async function run(provider: Provider, delivery: Delivery | Delivery[], nowMs = NOW_MS): Promise<Run[]> {
  const queue = memoryQueue()
  const enqueued: QueuedEvent[] = []
  const original = queue.enqueue.bind(queue)
  queue.enqueue = async (event) => {
    enqueued.push(event)
    await original(event)
  }
  const receiver = createReceiver({ provider, queue, now: () => nowMs, logger: false })
  const runs: Run[] = []
  for (const d of Array.isArray(delivery) ? delivery : [delivery]) {
    const result = await receiver.handle({ method: 'POST', url: d.url ?? '/hooks', headers: d.headers, body: d.body })
    const outcome = result.outcome
    const code = outcome.kind === 'rejected' || outcome.kind === 'unavailable' ? outcome.code : outcome.kind
    runs.push({ result, enqueued: [...enqueued], code })
  }
  await receiver.close()
  return runs
}

/** A single delivery through a fresh receiver. */
export async function runOne(provider: Provider, delivery: Delivery, nowMs = NOW_MS): Promise<Run> {
  return (await run(provider, delivery, nowMs))[0]!
}

/** Everything a response and its outcome say, as one string: secrets must never appear in it. */
export function everything(r: Run): string {
  return JSON.stringify([r.result.status, r.result.headers, r.result.body, r.result.outcome])
}
