/**
 * The benchmark figures of docs/.vitepress/data/benchmarks.json (written by
 * `npm run docs:bench` from the latest runs) as series for the charts and
 * rows for the tables of the benchmarks page.
 */
import data from '../data/benchmarks.json'

export type RunName = 'http' | 'handle' | 'e2e' | 'otel' | 'verify'

export interface Bar {
  series: string
  value: number
  label: string
}
export interface Group {
  label: string
  bars: Bar[]
}
export interface Chart {
  title: string
  unit: string
  groups: Group[]
  series: string[]
}
export interface Table {
  columns: string[]
  rows: Array<Array<string | number>>
}

type Any = Record<string, any>
const runs = data as unknown as Record<string, Any>

export function runOf(name: RunName): Any | undefined {
  return runs[name]
}

// A figure a run did not measure shows as a dash: a missing one threw while rendering, and the build still passed.
const num = (value: number | undefined, digits = 0): string =>
  typeof value !== 'number'
    ? '–'
    : value >= 10_000
      ? `${(value / 1000).toFixed(1)} k`
      : value.toLocaleString('en-US', { maximumFractionDigits: digits })
const pct = (value: number): string => `${(value * 100).toFixed(1)} %`

function chart(title: string, unit: string, groups: Group[]): Chart {
  const series = [...new Set(groups.flatMap((group) => group.bars.map((bar) => bar.series)))]
  return { title, unit, groups, series }
}

export function chartOf(name: RunName, metric: string | undefined): Chart | undefined {
  const run = runOf(name)
  if (!run) return undefined
  if (name === 'http') {
    const cpu = metric === 'cpu'
    const pick = (row: Any, key: string): Bar => {
      const value = cpu ? row.cpuUs[key] : row.rps[key]
      const series = key === 'inline' ? 'inline HMAC' : key
      return { series, value, label: cpu ? `${num(value, 1)} µs` : `${num(value)}/s` }
    }
    return chart(
      cpu ? 'Server CPU per request (lower is better)' : 'Requests per second (higher is better)',
      cpu ? 'µs' : 'req/s',
      run.rows.map((row: Any) => ({
        label: row.label,
        bars: ['bare', 'inline', 'hookguard'].map((key) => pick(row, key)),
      })),
    )
  }
  if (name === 'e2e') {
    return chart(
      'Acknowledged deliveries per second (higher is better)',
      'accepted/s',
      run.rows.map((row: Any) => ({
        label: row.name,
        bars: [{ series: 'accepted/s', value: row.acceptedPerSecond, label: `${num(row.acceptedPerSecond)}/s` }],
      })),
    )
  }
  if (name === 'handle') {
    return chart(
      'receiver.handle() vs the bare minimum, calls per second',
      'calls/s',
      run.rows.map((row: Any) => ({
        label: row.provider,
        bars: [
          { series: 'bare HMAC + parse', value: row.bare, label: `${num(row.bare)}/s` },
          { series: 'hookguard handle()', value: row.hookguard, label: `${num(row.hookguard)}/s` },
        ],
      })),
    )
  }
  if (name === 'verify') {
    return chart(
      'Signature verification, calls per second (higher is better)',
      'calls/s',
      run.rows.map((row: Any) => ({
        label: `${row.provider}, ${row.body}`,
        bars: [
          { series: 'bare HMAC', value: row.bare, label: `${num(row.bare)}/s` },
          { series: 'hookguard verify', value: row.hookguard, label: `${num(row.hookguard)}/s` },
          ...(row.sdkOps ? [{ series: 'official SDK', value: row.sdkOps, label: `${num(row.sdkOps)}/s` }] : []),
        ],
      })),
    )
  }
  return undefined
}

export function tableOf(name: RunName): Table | undefined {
  const run = runOf(name)
  if (!run) return undefined
  if (name === 'http') {
    // The servers as the run named them (bench/lib/apps/types.ts), in its order.
    const servers = Object.entries(run.servers as Record<string, string>)
    return {
      columns: [
        'framework',
        ...servers.map(([, label]) => label),
        'hookguard/inline',
        'queued/inline',
        'hookguard/queued',
        'hookguard/by hand',
        'CPU µs: inline',
        'CPU µs: hookguard',
        'duplicate',
        'forged',
      ],
      rows: run.rows.map((r: Any) => [
        r.label,
        ...servers.map(([kind]) => num(r.rps[kind])),
        r.ratio.toFixed(2),
        r.queuedRatio.toFixed(2),
        r.vsQueued.toFixed(2),
        // Only node:http runs the guarantees-by-hand server.
        typeof r.vsGuarded === 'number' ? r.vsGuarded.toFixed(2) : '–',
        num(r.cpuUs.inline, 1),
        num(r.cpuUs.hookguard, 1),
        num(r.rps.duplicate),
        num(r.rps.forged),
      ]),
    }
  }
  if (name === 'e2e') {
    return {
      columns: [
        'setup',
        'accepted/s',
        'p50 ms',
        'p99 ms',
        'server CPU µs/req',
        'store share',
        'enqueue share',
        'rows per commit',
        'other statuses',
      ],
      rows: run.rows.map((r: Any) => [
        r.name,
        num(r.acceptedPerSecond),
        r.p50Ms,
        r.p99Ms,
        num(r.cpuUs, 1),
        pct(r.storeShare),
        pct(r.enqueueShare),
        r.rowsPerCommit,
        r.other,
      ]),
    }
  }
  if (name === 'handle') {
    return {
      columns: [
        'provider',
        'handle() calls/s',
        'bare calls/s',
        'handle/bare',
        'CPU ratio',
        'CPU µs handle',
        'CPU µs bare',
        'heap/call handle',
        'heap/call bare',
      ],
      rows: run.rows.map((r: Any) => [
        r.provider,
        num(r.hookguard),
        num(r.bare),
        r.ratio.toFixed(2),
        r.cpuRatio.toFixed(2),
        num(r.hookguardCpuUs, 1),
        num(r.bareCpuUs, 1),
        `${(r.hookguardBytes / 1024).toFixed(1)} KiB`,
        `${(r.bareBytes / 1024).toFixed(1)} KiB`,
      ]),
    }
  }
  if (name === 'otel') {
    return {
      columns: ['phase', 'case', 'handle() calls/s', 'ratio to not wired', 'CPU ratio'],
      rows: run.rows.map((r: Any) => [
        r.phase,
        r.name,
        num(r.callsPerSecond),
        r.ratio.toFixed(3),
        r.cpuRatio.toFixed(3),
      ]),
    }
  }
  if (name === 'verify') {
    return {
      columns: [
        'provider',
        'body',
        'hookguard verify',
        'bare HMAC',
        'hookguard/bare',
        'SDK',
        'SDK verify',
        'hookguard/SDK',
      ],
      rows: run.rows.map((r: Any) => [
        r.provider,
        r.body,
        num(r.hookguard),
        num(r.bare),
        (r.hookguard / r.bare).toFixed(2),
        r.sdk ?? '(none: generic scheme)',
        r.sdkOps ? num(r.sdkOps) : '–',
        r.sdkOps ? (r.hookguard / r.sdkOps).toFixed(2) : '–',
      ]),
    }
  }
  return undefined
}
