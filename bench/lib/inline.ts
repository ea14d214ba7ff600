/**
 * The baselines: what a careful developer writes by hand with node:crypto
 * (HMAC over the raw bytes, length check, timingSafeEqual, JSON.parse), and
 * nothing else. hookguard is measured against these.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const STRIPE_TOLERANCE_S = 300

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}

function equalMac(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected)
}

/** GitHub's scheme: `x-hub-signature-256: sha256=<hex HMAC of the body>`. The parsed payload, or undefined when forged. */
export function inlineGithub(secret: string, body: Uint8Array, signature: string | undefined): unknown {
  if (typeof signature !== 'string' || !signature.startsWith('sha256=')) return undefined
  const expected = createHmac('sha256', secret).update(body).digest()
  if (!equalMac(Buffer.from(signature.slice(7), 'hex'), expected)) return undefined
  return JSON.parse(utf8(body))
}

/** Stripe's scheme: `stripe-signature: t=<s>,v1=<hex HMAC of "t." + body>`, with the 300 s tolerance. */
export function inlineStripe(secret: string, body: Uint8Array, header: string | undefined, nowMs: number): unknown {
  if (typeof header !== 'string') return undefined
  let timestamp = ''
  let v1 = ''
  for (const part of header.split(',')) {
    if (part.startsWith('t=')) timestamp = part.slice(2)
    else if (part.startsWith('v1=') && v1 === '') v1 = part.slice(3)
  }
  const t = Number(timestamp)
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > STRIPE_TOLERANCE_S) return undefined
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest()
  if (!equalMac(Buffer.from(v1, 'hex'), expected)) return undefined
  return JSON.parse(utf8(body))
}

/** The whole body of a Node request as one Buffer (no limit: the baseline does the least). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export const OK_BODY = '{"ok":true}'
export const UNAUTHORIZED_BODY = '{"ok":false}'

/** How long the hand-written dedupe remembers an id, and how many ids at most (hookguard's defaults). */
const SEEN_MS = 4 * 24 * 3600 * 1000
const SEEN_MAX = 100_000

/**
 * The least code that does what a receiver must beyond the HMAC: drop a
 * delivery id seen before, queue the event in memory, answer, and run the
 * handler after the answer. No leases, retries, dead letters, events with
 * headers, limits or logs: a floor for what dedupe and queueing cost on top
 * of the inline check, written the way a careful developer would by hand.
 */
export class HandQueue {
  private readonly seen = new Map<string, number>()
  /**
   * Ids in the order they were first seen, for evicting the oldest in O(1).
   * (`seen.delete(seen.keys().next().value)` is O(n) in V8: a Map's iterator
   * walks over the entries deleted before it, ~22 µs per call at 100,000 ids.)
   */
  private order: (string | undefined)[] = []
  private oldest = 0
  private jobs: unknown[] = []
  private scheduled = false
  handled = 0

  /** False for a duplicate; otherwise queued. */
  accept(id: string, payload: unknown): boolean {
    const now = Date.now()
    const until = this.seen.get(id)
    if (until !== undefined && until > now) return false
    if (until === undefined) this.order.push(id)
    this.seen.set(id, now + SEEN_MS)
    if (this.seen.size > SEEN_MAX) this.evictOldest()
    this.jobs.push(payload)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
    return true
  }

  private evictOldest(): void {
    this.seen.delete(this.order[this.oldest]!)
    this.order[this.oldest++] = undefined
    if (this.oldest >= 65_536) {
      this.order = this.order.slice(this.oldest)
      this.oldest = 0
    }
  }

  private drain(): void {
    this.scheduled = false
    const jobs = this.jobs
    this.jobs = []
    for (const payload of jobs) if (payload !== undefined) this.handled++
  }
}

/**
 * The status a baseline answers: `inline` checks the GitHub HMAC; `queued`
 * also dedupes by delivery id and queues through a {@link HandQueue}.
 */
export function baselineStatus(
  kind: 'bare' | 'inline' | 'queued',
  secret: string,
  body: Uint8Array,
  header: (name: string) => string | undefined,
  queue: HandQueue,
): 200 | 401 {
  if (kind === 'bare') return 200
  const payload = inlineGithub(secret, body, header('x-hub-signature-256'))
  if (payload === undefined) return 401
  const id = header('x-github-delivery')
  if (kind === 'queued' && id !== undefined) queue.accept(id, payload)
  return 200
}
