/**
 * Internal: archived deliveries as the CLI prints them. Never the sealed
 * signature headers; headers redacted again by name; payload text escaped;
 * bodies as text when they are valid UTF-8, else as a hex dump (human) or
 * base64 (`--json`).
 *
 * @module
 */
import { clip, hexDump, shownRecord, utf8Text, visible } from '../../internal/display.js'
import type { ArchiveStats, DeliveryRecord, DeliverySummary } from '../../types/index.js'
import { shown } from './output.js'

/** A body for JSON output: text when it is valid UTF-8, else base64. */
export function bodyField(bytes: Uint8Array | undefined): { body?: string; bodyEncoding?: 'utf8' | 'base64' } {
  if (bytes === undefined) return {}
  const text = utf8Text(bytes)
  return text === undefined
    ? { body: Buffer.from(bytes).toString('base64'), bodyEncoding: 'base64' }
    : { body: text, bodyEncoding: 'utf8' }
}

/** A record (or summary) for `--json`: shown fields only, body encoded. */
export function recordJson(record: DeliverySummary | DeliveryRecord): Record<string, unknown> {
  const { body, ...rest } = shownRecord(record as DeliveryRecord)
  return { ...rest, ...bodyField(body) }
}

export function isoTime(ms: number | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '-'
}

export const LIST_COLUMNS = ['RECEIVED', 'DELIVERY', 'PROVIDER', 'STATUS', 'OUTCOME', 'CODE', 'TYPE', 'EVENT', 'STATE']

/** One table row per summary, every cell escaped and clipped. */
export function summaryRow(item: DeliverySummary): string[] {
  const cell = (value: unknown, max = 40): string => clip(shown(value ?? '-'), max)
  return [
    isoTime(item.receivedAt),
    cell(item.deliveryId, 32),
    cell(item.provider, 20),
    String(item.status),
    cell(item.outcome, 12),
    cell(item.code),
    cell(item.type),
    cell(item.eventId),
    item.state ? `${cell(item.state, 12)}${item.attempts ? `/${item.attempts}` : ''}` : '-',
  ]
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => [...(row[i] ?? '')].length)))
  const line = (row: string[]): string =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  ')
  return [line(header), ...rows.map(line)]
}

/** A record in full, for `show`. */
export function recordLines(record: DeliveryRecord): string[] {
  const shownOne = shownRecord(record)
  const field = (name: string, value: unknown): string => `${name.padEnd(11)}${shown(value)}`
  const lines = [
    field('delivery', record.deliveryId),
    field('received', isoTime(record.receivedAt)),
    field('receiver', record.receiver),
    field('provider', record.provider),
    field('request', `${record.method} ${record.path}`),
    field('status', `${record.status} ${record.outcome}${record.code ? ` (${record.code})` : ''}`),
  ]
  if (record.reason) lines.push(field('reason', record.reason))
  if (record.eventId || record.type)
    lines.push(field('event', `${record.eventId ?? '-'}${record.type ? ` (${record.type})` : ''}`))
  if (record.key) lines.push(field('key', record.key))
  if (record.replayOf)
    lines.push(field('replay of', `${record.replayOf}${record.verified === false ? ' (not verified)' : ''}`))
  if (record.state)
    lines.push(
      field('state', `${record.state}, ${record.attempts ?? 0} attempt(s), updated ${isoTime(record.updatedAt)}`),
    )
  if (record.lastError) lines.push(field('last error', record.lastError))
  lines.push(field('duration', `${Math.round(record.durationMs * 10) / 10} ms`))
  lines.push('', 'headers')
  for (const [name, value] of Object.entries(shownOne.headers)) lines.push(`  ${shown(name)}: ${shown(value)}`)
  lines.push('', ...bodyLines(record))
  return lines
}

function bodyLines(record: DeliveryRecord): string[] {
  const size = `${record.bodySize} bytes`
  if (record.body === undefined) return [`body (${size}; not archived)`]
  const cut = record.truncated ? `, first ${record.body.length} archived` : ''
  const text = utf8Text(record.body)
  if (text === undefined) return [`body (${size}${cut}; binary, hex)`, hexDump(record.body)]
  return [`body (${size}${cut}; utf-8)`, visible(text, 'escape', { lines: true })]
}

/** `stats` as aligned lines: each breakdown sorted by count. */
export function statsLines(stats: ArchiveStats): string[] {
  const lines = [`total      ${stats.total}`]
  const groups: Array<[string, Record<string, number>]> = [
    ['outcome', stats.byOutcome],
    ['code', stats.byCode],
    ['provider', stats.byProvider],
    ['type', stats.byType],
    ['state', stats.byState],
  ]
  for (const [title, counts] of groups) {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    if (entries.length === 0) continue
    lines.push('', `by ${title}`)
    const width = Math.max(...entries.map(([name]) => clip(shown(name), 60).length))
    for (const [name, count] of entries) lines.push(`  ${clip(shown(name), 60).padEnd(width)}  ${count}`)
  }
  return lines
}
