/**
 * Why memoryQueue keeps its live jobs in a JobTable (src/queues/internal/
 * job-table.ts) and not in a `Map<string, Job>`: jobs that come and go
 * through a long-lived Map survive into V8's old generation, with the event
 * and payload they hold, so each young-generation GC copies them and only a
 * full GC frees them. The same short-lived jobs through a Map of slot
 * numbers die young.
 *
 * Each run pushes events with a parsed 1 KiB payload through the table the
 * way the queue does (added on enqueue, removed when the handler ends, the
 * handlers of a batch run after an event-loop turn) and reports the bytes
 * V8 promoted per event and the GC time per event.
 *
 *   npx tsx bench/micro/promotion.bench.ts
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { JobTable } from '../../src/queues/internal/job-table.js'
import { fixed, table } from '../lib/report.js'

const EVENTS = 200_000
const BATCH = 32
const KINDS = ['Map<string, Job>', 'JobTable'] as const
type Kind = (typeof KINDS)[number]

interface Job {
  event: { id: string; key: string; payload: unknown }
  attempt: number
}

interface Table {
  set(key: string, job: Job): void
  delete(key: string): boolean
}

const PAYLOAD = JSON.stringify({
  ref: 'refs/heads/main',
  commits: Array.from({ length: 12 }, (_, i) => ({
    id: 'c'.repeat(40),
    message: `Commit ${i}: update the README`,
    author: { name: 'Monalisa Octocat', email: 'mona@github.com' },
  })),
})

/** The child: one kind, the events through it; prints nothing (the parent reads --trace-gc-nvp). */
async function child(kind: Kind): Promise<void> {
  const jobs: Table = kind === 'JobTable' ? new JobTable<Job>() : new Map<string, Job>()
  let ready: Job[] = []
  let due = false
  const drain = (): void => {
    due = false
    const batch = ready
    ready = []
    for (const job of batch) jobs.delete(job.event.key)
  }
  for (let i = 0; i < EVENTS; i++) {
    const key = `github:default:~${i.toString(36).padStart(43, 'x')}`
    const job: Job = { event: { id: `id${i}`, key, payload: JSON.parse(PAYLOAD) }, attempt: 0 }
    jobs.set(key, job)
    ready.push(job)
    if (!due) {
      due = true
      setImmediate(drain)
    }
    if (i % BATCH === BATCH - 1) await new Promise((resolve) => setImmediate(resolve))
  }
}

function measure(kind: Kind): { promoted: number; gcMs: number } {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--single-threaded-gc', '--trace-gc-nvp', fileURLToPath(import.meta.url), kind],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  if (run.status !== 0) throw new Error(`bench: child failed: ${run.stderr}`)
  let promoted = 0
  let gcMs = 0
  for (const line of run.stdout.split('\n')) {
    const pause = /\bpause=([\d.]+)/.exec(line)
    if (pause) gcMs += Number(pause[1])
    const moved = /\bpromoted=(\d+)/.exec(line)
    if (moved && /\bgc=s\b/.test(line)) promoted += Number(moved[1])
  }
  return { promoted, gcMs }
}

const kind = process.argv[2] as Kind | undefined
if (kind) await child(kind)
else {
  const rows = KINDS.map((name) => {
    const { promoted, gcMs } = measure(name)
    return [name, fixed(promoted / EVENTS, 0), fixed((gcMs * 1000) / EVENTS, 2)]
  })
  console.log(`node ${process.version}, ${EVENTS} events with a 1 KiB payload, ${BATCH} per event-loop turn:\n`)
  console.log(table(['live jobs in', 'bytes promoted per event', 'GC µs per event'], rows))
}
