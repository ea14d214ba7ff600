/**
 * The list view: counts by outcome and by code over a time range (charts),
 * filters, and the deliveries, newest first, one page at a time.
 *
 * @module
 */
import type { ArchivePage, ArchiveStats, DeliverySummary } from '../../types/index.js'
import { html, pageUrl, type Html } from '../internal/html.js'
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

function select(name: string, label: string, names: readonly string[], selected: string | undefined): Html {
  return html`<label
    >${label}<select name="${name}">
      <option value="">any</option>
      ${names.map(
        (value) => html`<option value="${value}" ${value === selected ? html` selected` : ''}>${value}</option>`,
      )}
    </select></label
  >`
}

function filterForm(data: ListData): Html {
  const { filters, known, range } = data
  const types = choices(known.byType, filters.type)
  return html`<form class="filters" method="get">
    ${select('outcome', 'Outcome', OUTCOMES, filters.outcome)}
    ${select('provider', 'Provider', choices(known.byProvider, filters.provider), filters.provider)}
    <label>Type<input name="type" list="hg-types" value="${filters.type ?? ''}" placeholder="any" size="24" /></label>
    <datalist id="hg-types">${types.map((type) => html`<option value="${type}"></option>`)}</datalist>
    ${select('code', 'Code', choices(known.byCode, filters.code), filters.code)}
    <label
      >Chart<select name="range">
        ${Object.entries(RANGES).map(
          ([key, value]) =>
            html`<option value="${key}" ${key === range ? html` selected` : ''}>${value.label}</option>`,
        )}
      </select></label
    >
    <button type="submit" class="primary">Apply</button>
    <a href="?">Reset</a>
    <label id="hg-live" hidden
      ><span><input type="checkbox" /> refresh every 5 s</span></label
    >
  </form>`
}

function row(item: DeliverySummary): Html {
  const link = pageUrl({ id: item.deliveryId })
  return html`<tr class="row">
    <td class="mono nowrap">
      <a href="${link}"
        ><time datetime="${new Date(item.receivedAt).toISOString()}"
          >${new Date(item.receivedAt).toISOString()}</time
        ></a
      >
    </td>
    <td>${item.provider}</td>
    <td class="nowrap"><span class="badge o-${item.outcome}">${item.outcome}</span></td>
    <td class="mono">${item.status}</td>
    <td class="mono">${item.code ?? ''}</td>
    <td>${item.type ?? ''}</td>
    <td class="mono">${item.eventId ?? ''}</td>
    <td class="nowrap">
      ${item.state ?? ''}${item.attempts ? html` <span class="muted">×${item.attempts}</span>` : ''}
    </td>
    <td class="mono nowrap">
      <a href="${link}">${item.deliveryId}</a>${item.replayOf ? html` <span class="muted">replay</span>` : ''}
    </td>
  </tr>`
}

function charts(data: ListData): Html {
  const outcomes = OUTCOMES.filter((name) => data.outcomeBuckets.some((bucket) => (bucket.counts[name] ?? 0) > 0))
  const codes = Object.keys(data.rangeStats.byCode).sort()
  const { label } = RANGES[data.range]
  return html`<div class="charts">
    ${stackedBars(`By outcome, ${label}`, data.outcomeBuckets, outcomes, seriesColors(outcomes, OUTCOME_COLORS))}
    ${stackedBars(`By code, ${label}`, data.codeBuckets, codes, seriesColors(codes))}
  </div>`
}

function totals(stats: ArchiveStats, label: string): Html {
  return html`<div class="totals">
    <span><b>${stats.total}</b><span class="muted">deliveries, ${label}</span></span
    >${OUTCOMES.filter((name) => stats.byOutcome[name]).map(
      (name) => html`<span><b>${stats.byOutcome[name]}</b><span class="muted">${name}</span></span>`,
    )}
  </div>`
}

export function listView(data: ListData): Html {
  const { page, filters, range } = data
  const next = page.cursor ? pageUrl({ ...filters, range, cursor: page.cursor }) : undefined
  return html`${totals(data.rangeStats, RANGES[range].label)} ${charts(data)} ${filterForm(data)}
    <table>
      <thead>
        <tr>
          <th>Received</th>
          <th>Provider</th>
          <th>Outcome</th>
          <th>Status</th>
          <th>Code</th>
          <th>Type</th>
          <th>Event</th>
          <th>Worker</th>
          <th>Delivery</th>
        </tr>
      </thead>
      <tbody>
        ${
          page.items.length === 0
            ? html`<tr>
                <td colspan="9" class="muted">No deliveries match.</td>
              </tr>`
            : page.items.map(row)
        }
      </tbody>
    </table>
    <nav class="pager">
      <a href="${pageUrl({ ...filters, range })}">Newest</a
      >${next ? html`<a href="${next}" rel="next">Older →</a>` : ''}
    </nav>`
}
