/**
 * Why the per-event code uses `Object.assign({}, base, extra)` and never
 * `{ ...base, extra }`: on Node 20 (V8 11) a property written after an
 * object spread leaves the clone fast path, about ten times dearer than
 * Object.assign. The lint rule in eslint.config.js bans the pattern where
 * code runs once per request or event; this bench shows the figures.
 *
 *   npx tsx bench/micro/spread.bench.ts
 */
import { fixed, table } from '../lib/report.js'

const CALLS = 1_000_000
const ROUNDS = 3

/** A queued event as the receiver builds it. */
function queuedEvent(i: number): Record<string, unknown> {
  return {
    id: `evt_${i}`,
    key: `github:default:~${i.toString(36).padStart(43, 'x')}`,
    provider: 'github',
    receivedAt: 1_764_000_000_000 + i,
    payload: { action: 'opened', number: i },
    headers: { 'x-github-event': 'push' },
    type: 'push',
  }
}

const events = Array.from({ length: 1024 }, (_, i) => queuedEvent(i))
let sink: unknown

const shapes: Record<string, (event: Record<string, unknown>) => unknown> = {
  '{ ...event }': (event) => ({ ...event }),
  '{ ...event, attempt }': (event) => ({ ...event, attempt: 1 }),
  'Object.assign({}, event, { attempt })': (event) => Object.assign({}, event, { attempt: 1 }),
}

function nsPerCall(make: (event: Record<string, unknown>) => unknown): number {
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) sink = make(events[i & 1023]!)
  return ((performance.now() - started) * 1e6) / CALLS
}

const rows = Object.entries(shapes).map(([name, make]) => {
  nsPerCall(make) // warm-up
  const runs = Array.from({ length: ROUNDS }, () => nsPerCall(make))
  return [name, fixed(Math.min(...runs), 1)]
})
console.log(`node ${process.version}, ${CALLS} copies of a 7-field event per round, best of ${ROUNDS}:\n`)
console.log(table(['copy', 'ns per copy'], rows))
if (sink === undefined) throw new Error('unreachable')
