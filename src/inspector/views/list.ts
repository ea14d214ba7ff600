/**
 * The list view: counts by outcome and by code over a time range (charts),
 * filters, and the deliveries, newest first, one page at a time.
 *
 * @module
 */
import type { ArchivePage, ArchiveStats, DeliverySummary } from '../../types/index.js'
import { markup, pageUrl, type Html } from '../internal/html.js'
import { OUTCOME_COLORS, seriesColors, stackedBars, type Bucket } from './chart.js'

export const OUTCOMES = ['accepted', 'duplicate', 'in_flight', 'ignored', 'handshake', 'rejected', 'unavailable']

export const RANGES = {
  '1h': { label: 'last hour', stepMs: 5 * 60_000, buckets: 12 },
  '24h': { label: 'last 24 hours', stepMs: 3_600_000, buckets: 24 },
  '7d': { label: 'last 7 days', stepMs: 6 * 3_600_000, buckets: 28 },
  '30d': { label: 'last 30 days', stepMs: 86_400_000, buckets: 30 },
} as const
export type RangeKey = keyof typeof RANGES

export interface ListFilters {
  outcome?: string
  provider?: string
  type?: string
  code?: string
}

export interface ListData {
  filters: ListFilters
  range: RangeKey
  page: ArchivePage
  /** Counts over the chart's range. */
  rangeStats: ArchiveStats
  outcomeBuckets: Bucket[]
  codeBuckets: Bucket[]
  /** Values seen in the whole archive, for the filter choices. */
  known: ArchiveStats
}

const MAX_CHOICES = 200

function choices(counts: Record<string, number>, selected: string | undefined): string[] {
  const names = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_CHOICES)
    .map(([name]) => name)
  if (selected !== undefined && !names.includes(selected)) names.unshift(selected)
  return names
}

function option(value: string, label: string, selected: boolean): Html {
  return markup`<option value="${value}"${selected ? markup` selected` : ''}>${label}</option>`
}

function select(name: string, label: string, names: readonly string[], selected: string | undefined): Html {
  const options = names.map((value) => option(value, value, value === selected))
  return markup`<label>${label}<select name="${name}"><option value="">any</option>${options}</select></label>`
}

function filterForm(data: ListData): Html {
  const { filters, known, range } = data
  const types = choices(known.byType, filters.type).map((type) => markup`<option value="${type}"></option>`)
  const ranges = Object.entries(RANGES).map(([key, value]) => option(key, value.label, key === range))
  return markup`<form class="filters" method="get">
${select('outcome', 'Outcome', OUTCOMES, filters.outcome)}
${select('provider', 'Provider', choices(known.byProvider, filters.provider), filters.provider)}
<label>Type<input name="type" list="hg-types" value="${filters.type ?? ''}" placeholder="any" size="24"></label>
<datalist id="hg-types">${types}</datalist>
${select('code', 'Code', choices(known.byCode, filters.code), filters.code)}
<label>Chart<select name="range">${ranges}</select></label>
<button type="submit" class="primary">Apply</button>
<a href="?">Reset</a>
<label id="hg-live" hidden><span><input type="checkbox"> refresh every 5 s</span></label>
</form>`
}

function row(item: DeliverySummary): Html {
  const link = pageUrl({ id: item.deliveryId })
  const iso = new Date(item.receivedAt).toISOString()
  const attempts = item.attempts ? markup` <span class="muted">×${item.attempts}</span>` : ''
  const replay = item.replayOf ? markup` <span class="muted">replay</span>` : ''
  return markup`<tr class="row">
<td class="mono nowrap"><a href="${link}"><time datetime="${iso}">${iso}</time></a></td>
<td>${item.provider}</td>
<td class="nowrap"><span class="badge o-${item.outcome}">${item.outcome}</span></td>
<td class="mono">${item.status}</td>
<td class="mono">${item.code ?? ''}</td>
<td>${item.type ?? ''}</td>
<td class="mono">${item.eventId ?? ''}</td>
<td class="nowrap">${item.state ?? ''}${attempts}</td>
<td class="mono nowrap"><a href="${link}">${item.deliveryId}</a>${replay}</td>
</tr>`
}

function charts(data: ListData): Html {
  const outcomes = OUTCOMES.filter((name) => data.outcomeBuckets.some((bucket) => (bucket.counts[name] ?? 0) > 0))
  const codes = Object.keys(data.rangeStats.byCode).sort()
  const { label } = RANGES[data.range]
  return markup`<div class="charts">
${stackedBars(`By outcome, ${label}`, data.outcomeBuckets, outcomes, seriesColors(outcomes, OUTCOME_COLORS))}
${stackedBars(`By code, ${label}`, data.codeBuckets, codes, seriesColors(codes))}
</div>`
}

function totals(stats: ArchiveStats, label: string): Html {
  const parts = OUTCOMES.filter((name) => stats.byOutcome[name]).map(
    (name) => markup`<span><b>${stats.byOutcome[name]}</b><span class="muted">${name}</span></span>`,
  )
  return markup`<div class="totals"><span><b>${stats.total}</b><span class="muted">deliveries, ${label}</span></span>${parts}</div>`
}

export function listView(data: ListData): Html {
  const { page, filters, range } = data
  const next = page.cursor ? pageUrl({ ...filters, range, cursor: page.cursor }) : undefined
  const rows =
    page.items.length === 0
      ? markup`<tr><td colspan="9" class="muted">No deliveries match.</td></tr>`
      : page.items.map(row)
  return markup`${totals(data.rangeStats, RANGES[range].label)}
${charts(data)}
${filterForm(data)}
<table>
<thead><tr><th>Received</th><th>Provider</th><th>Outcome</th><th>Status</th><th>Code</th><th>Type</th><th>Event</th><th>Worker</th><th>Delivery</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<nav class="pager"><a href="${pageUrl({ ...filters, range })}">Newest</a>${next ? markup`<a href="${next}" rel="next">Older →</a>` : ''}</nav>`
}
