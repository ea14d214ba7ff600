/**
 * `hookguard tail`: print new archived deliveries as they arrive, by polling
 * the archive, until Ctrl-C. The receiver writes records in batches, so a
 * record can land after a newer one: every poll looks back a few seconds
 * and skips the ids already printed.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ArchiveQuery, DeliverySummary } from '../../types/index.js'
import { integerValue, positionals } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT } from '../internal/errors.js'
import { asUsage, FILTER_HELP, FILTER_OPTIONS, queryOf } from '../internal/filters.js'
import type { Output } from '../internal/output.js'
import { recordJson, summaryRow } from '../internal/records.js'
import { STORAGE_HELP, STORAGE_OPTIONS, withStorage, type Storage } from '../internal/storage.js'

/** How far back each poll looks for records written late (the recorder flushes at least every second). */
const LOOKBACK_MS = 15_000
const PAGE = 1000

function print(out: Output, items: DeliverySummary[]): void {
  for (const item of items) {
    if (out.json) out.value(recordJson(item), { compact: true })
    else out.line(summaryRow(item).join('  '))
  }
}

/** Follows the archive, printing what it has not printed yet, until `stop` resolves. */
class Follower {
  private readonly seen = new Map<string, number>()
  private watermark: number

  constructor(
    private readonly storage: Storage,
    private readonly query: ArchiveQuery,
    private readonly out: Output,
    start: number,
  ) {
    this.watermark = start
  }

  /** Records that are not new: never printed. */
  mark(items: DeliverySummary[]): void {
    for (const item of items) this.seen.set(item.deliveryId, item.receivedAt)
  }

  /** Newest first from the archive, printed oldest first. */
  emit(items: DeliverySummary[]): void {
    const fresh = items.filter((item) => !this.seen.has(item.deliveryId)).reverse()
    for (const item of fresh) {
      this.seen.set(item.deliveryId, item.receivedAt)
      if (item.receivedAt > this.watermark) this.watermark = item.receivedAt
    }
    print(this.out, fresh)
  }

  async poll(): Promise<void> {
    const since = Math.max(this.query.since ?? 0, this.watermark - LOOKBACK_MS)
    const items: DeliverySummary[] = []
    let cursor: string | undefined
    do {
      const page = await this.storage.archive
        .list({ ...this.query, since, limit: PAGE, ...(cursor ? { cursor } : {}) })
        .catch(asUsage)
      items.push(...page.items)
      cursor = page.cursor
    } while (cursor && items.length < 20 * PAGE)
    this.emit(items)
    for (const [id, at] of this.seen) if (at < this.watermark - 2 * LOOKBACK_MS) this.seen.delete(id)
  }
}

export const tail: Command = {
  name: 'tail',
  summary: 'follow new archived deliveries until Ctrl-C',
  options: {
    ...STORAGE_OPTIONS,
    ...FILTER_OPTIONS,
    lines: { type: 'string', short: 'n' },
    interval: { type: 'string' },
  },
  help: `Usage: hookguard tail (--sqlite PATH | --postgres URL) [filters] [-n N] [--interval MS] [--json]

Prints the last N deliveries, then every new one as it is archived, until
Ctrl-C (exit 0).

${STORAGE_HELP}

${FILTER_HELP}

Following:
  -n, --lines N            deliveries printed first (0-1000, default 10)
      --interval MS        how often the archive is read (100-60000, default 1000)
      --json               one JSON object per line`,
  async run(parsed, { io, out, now }) {
    positionals(parsed, [])
    const query = queryOf(parsed.values, now)
    const lines = integerValue(parsed.values, 'lines', 0, 1000) ?? 10
    const interval = integerValue(parsed.values, 'interval', 100, 60_000) ?? 1000
    const stop = io.interrupted()
    let stopped = false
    void stop.then(() => (stopped = true))
    await withStorage(parsed.values, io, async (storage) => {
      const follower = new Follower(storage, query, out, now)
      if (lines > 0) follower.emit((await storage.archive.list({ ...query, limit: lines }).catch(asUsage)).items)
      const since = Math.max(query.since ?? 0, now - LOOKBACK_MS)
      follower.mark((await storage.archive.list({ ...query, since, limit: PAGE }).catch(asUsage)).items)
      while (!stopped) {
        const abort = new AbortController()
        await Promise.race([stop, sleep(interval, undefined, { signal: abort.signal }).catch(() => {})])
        abort.abort()
        if (!stopped) await follower.poll()
      }
    })
    return EXIT.ok
  },
}
