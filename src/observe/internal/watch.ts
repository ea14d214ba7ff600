/**
 * Internal: the queues whose depth a metrics object reports, read at
 * collection time (a Prometheus scrape, an OpenTelemetry collection). A
 * queue watched twice — by a receiver and by a worker in the same process —
 * is counted once, under the receiver's labels.
 *
 * @module
 */
import type { QueueStats } from '../../types/index.js'

export interface QueueLabels {
  provider: string
  receiver: string
}

export interface StatsSource {
  stats(): Promise<QueueStats>
}

export interface Depth {
  labels: QueueLabels
  pending: number
}

/** How long one queue's `stats()` may take before a collection goes on without it, ms. */
const STATS_BUDGET_MS = 2000

function labelled(labels: QueueLabels): boolean {
  return labels.provider !== '' || labels.receiver !== ''
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
    // A scrape waiting on a slow queue must not keep the process alive.
    ;(timer as { unref?: () => void }).unref?.()
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

export class QueueWatch {
  private readonly queues = new Map<StatsSource, QueueLabels>()

  add(queue: StatsSource, labels: QueueLabels): void {
    const known = this.queues.get(queue)
    if (known && (labelled(known) || !labelled(labels))) return
    this.queues.set(queue, { provider: String(labels.provider), receiver: String(labels.receiver) })
  }

  get size(): number {
    return this.queues.size
  }

  /**
   * `pending` of every watched queue, summed per label set. A queue whose
   * `stats()` fails or outruns the budget is left out of this collection:
   * a scrape never fails because one backend is slow.
   */
  async read(): Promise<Depth[]> {
    const sums = new Map<string, Depth>()
    await Promise.all(
      [...this.queues].map(async ([queue, labels]) => {
        let stats: QueueStats | undefined
        try {
          stats = await within(queue.stats(), STATS_BUDGET_MS)
        } catch {
          return
        }
        if (!stats || !Number.isFinite(stats.pending)) return
        const key = `${labels.provider}\u0000${labels.receiver}`
        const sum = sums.get(key)
        if (sum) sum.pending += stats.pending
        else sums.set(key, { labels, pending: stats.pending })
      }),
    )
    return [...sums.values()]
  }
}
