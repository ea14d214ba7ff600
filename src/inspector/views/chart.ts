/**
 * Counts over time as stacked bars, drawn as inline SVG on the server: no
 * script, no library, nothing fetched. Colours are SVG presentation
 * attributes (not `style`), so the strict CSP holds. Each bar segment has a
 * `<title>` for a native tooltip.
 *
 * @module
 */
import { markup, type Html } from '../internal/html.js'

export interface Bucket {
  from: number
  to: number
  counts: Record<string, number>
}

export const OUTCOME_COLORS: Record<string, string> = {
  accepted: '#1f8a4c',
  duplicate: '#2f7fb5',
  in_flight: '#5a4fcf',
  ignored: '#8a94a0',
  handshake: '#6b7785',
  rejected: '#c62f2f',
  unavailable: '#d08700',
}

const PALETTE = ['#c62f2f', '#d08700', '#7b3fb5', '#2f7fb5', '#b5478f', '#3f8f8a', '#8a6d3b', '#546e7a']
const OTHER_COLOR = '#9aa5b2'
const WIDTH = 720
const HEIGHT = 150
const LEFT = 36
const BOTTOM = 18
const TOP = 6

/** Colours for series: fixed ones where known, else the palette in order. */
export function seriesColors(series: readonly string[], fixed: Record<string, string> = {}): Record<string, string> {
  const colors: Record<string, string> = {}
  let next = 0
  for (const name of series) colors[name] = fixed[name] ?? PALETTE[next++ % PALETTE.length] ?? OTHER_COLOR
  return colors
}

function label(ms: number, stepMs: number): string {
  const iso = new Date(ms).toISOString()
  return stepMs >= 86_400_000
    ? iso.slice(5, 10)
    : stepMs >= 3_600_000 * 6
      ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
      : iso.slice(11, 16)
}

function bars(
  buckets: readonly Bucket[],
  series: readonly string[],
  colors: Record<string, string>,
  max: number,
): Html[] {
  const plotWidth = WIDTH - LEFT
  const plotHeight = HEIGHT - BOTTOM - TOP
  const slot = plotWidth / Math.max(1, buckets.length)
  const width = Math.max(1, slot - 2).toFixed(1)
  const out: Html[] = []
  buckets.forEach((bucket, index) => {
    let y = HEIGHT - BOTTOM
    const x = (LEFT + index * slot + 1).toFixed(1)
    const when = `${new Date(bucket.from).toISOString().slice(0, 16).replace('T', ' ')} UTC`
    for (const name of series) {
      const count = bucket.counts[name] ?? 0
      if (count <= 0) continue
      const height = (count / max) * plotHeight
      y -= height
      const fill = colors[name] ?? OTHER_COLOR
      out.push(
        markup`<rect x="${x}" y="${y.toFixed(1)}" width="${width}" height="${Math.max(height, 0.5).toFixed(1)}" fill="${fill}"><title>${when} — ${name}: ${count}</title></rect>`,
      )
    }
  })
  return out
}

function axes(buckets: readonly Bucket[], max: number): Html[] {
  const base = HEIGHT - BOTTOM
  const out: Html[] = [
    markup`<line x1="${LEFT}" y1="${base}" x2="${WIDTH}" y2="${base}" stroke="#9aa5b2" stroke-width="1"></line>`,
    markup`<text x="${LEFT - 4}" y="${TOP + 8}" text-anchor="end">${max}</text>`,
    markup`<text x="${LEFT - 4}" y="${base}" text-anchor="end">0</text>`,
  ]
  if (buckets.length === 0) return out
  const step = buckets[0]!.to - buckets[0]!.from
  const slot = (WIDTH - LEFT) / buckets.length
  for (const index of new Set([0, Math.floor(buckets.length / 2), buckets.length - 1])) {
    const x = (LEFT + index * slot + slot / 2).toFixed(1)
    out.push(markup`<text x="${x}" y="${HEIGHT - 4}" text-anchor="middle">${label(buckets[index]!.from, step)}</text>`)
  }
  return out
}

function legend(title: string, sums: ReadonlyArray<readonly [string, number]>, colors: Record<string, string>): Html {
  const items =
    sums.length === 0
      ? markup`<span class="muted">nothing in this range</span>`
      : sums.map(
          ([name, sum]) =>
            markup`<span><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="${colors[name] ?? OTHER_COLOR}"></rect></svg> ${name} ${sum}</span>`,
        )
  return markup`<figcaption class="legend"><strong>${title}</strong>${items}</figcaption>`
}

/** A stacked bar chart of `series` per bucket, with a legend of totals. */
export function stackedBars(
  title: string,
  buckets: readonly Bucket[],
  series: readonly string[],
  colors: Record<string, string>,
): Html {
  const totals = buckets.map((bucket) => series.reduce((sum, name) => sum + (bucket.counts[name] ?? 0), 0))
  const max = Math.max(1, ...totals)
  const sums = series.map((name) => [name, buckets.reduce((sum, b) => sum + (b.counts[name] ?? 0), 0)] as const)
  return markup`<figure class="chart">
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}" xmlns="http://www.w3.org/2000/svg">${axes(buckets, max)}${bars(buckets, series, colors, max)}</svg>
${legend(title, sums, colors)}
</figure>`
}
