/**
 * The detail view of one delivery: what was received and answered, the
 * worker's progress, the headers (redacted) and the body (text when it is
 * valid UTF-8, else a hex dump), and — only when replay is allowed — a
 * Replay button carrying this page's form token. The sealed signature
 * headers are never shown.
 *
 * @module
 */
import { displayHeaders, hexDump, utf8Text } from '../../internal/display.js'
import type { DeliveryRecord } from '../../types/index.js'
import { block, jsonData, markup, pageUrl, type Html } from '../internal/html.js'

export interface DetailData {
  record: DeliveryRecord
  maxBodyDisplayBytes: number
  /** Form token when this delivery may be replayed from here. */
  replayToken?: string
  /** Why the Replay button is missing although replay is on. */
  replayBlocked?: string
  /** A failed replay attempt, shown above the record. */
  error?: string
}

const SIGNATURE_CODES = new Set([
  'signature.missing',
  'signature.invalid',
  'signature.malformed',
  'timestamp.missing',
  'timestamp.malformed',
  'timestamp.out_of_range',
])

/** Why a replay cannot work (the receiver would refuse it), or undefined. */
export function notReplayable(record: DeliveryRecord): string | undefined {
  if (record.code !== undefined && SIGNATURE_CODES.has(record.code)) return 'rejected for its signature: not authentic'
  if (record.outcome === 'handshake') return 'a handshake'
  if (!record.body || record.truncated) return 'its body is not archived in full'
  return undefined
}

function time(ms: number | undefined): Html {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return markup`-`
  const iso = new Date(ms).toISOString()
  return markup`<time datetime="${iso}">${iso}</time>`
}

function fact(name: string, value: unknown): Html {
  return value === undefined || value === '' ? markup`` : markup`<dt>${name}</dt><dd>${value}</dd>`
}

function replayOf(record: DeliveryRecord): Html | undefined {
  if (!record.replayOf) return undefined
  const unverified = record.verified === false ? ' (not verified)' : ''
  return markup`<a class="mono" href="${pageUrl({ id: record.replayOf })}">${record.replayOf}</a>${unverified}`
}

function facts(record: DeliveryRecord): Html {
  const answered = markup`<span class="mono">${record.status}</span> <span class="badge o-${record.outcome}">${record.outcome}</span>`
  const worker = record.state
    ? markup`${record.state}, ${record.attempts ?? 0} attempt(s), updated ${time(record.updatedAt)}`
    : undefined
  return markup`<dl class="facts">
${fact('Received', time(record.receivedAt))}
${fact('Receiver', record.receiver)}
${fact('Provider', record.provider)}
${fact('Request', markup`<span class="mono">${record.method} ${record.path}</span>`)}
${fact('Answered', answered)}
${fact('Code', record.code)}
${fact('Reason', record.reason)}
${fact('Event id', record.eventId)}
${fact('Type', record.type)}
${fact('Key', record.key)}
${fact('Replay of', replayOf(record))}
${fact('Worker', worker)}
${fact('Last error', record.lastError)}
${fact('Time in receiver', `${Math.round(record.durationMs * 10) / 10} ms`)}
</dl>`
}

function headersTable(record: DeliveryRecord): Html {
  const headers = Object.entries(displayHeaders(record.headers))
  if (headers.length === 0) return markup`<p class="muted">No headers archived.</p>`
  const rows = headers.map(
    ([name, value]) => markup`<tr><th class="mono">${name}</th><td class="mono">${value}</td></tr>`,
  )
  return markup`<table class="headers"><tbody>${rows}</tbody></table>`
}

function prettyJson(text: string): string | undefined {
  if (!/^\s*[[{]/.test(text)) return undefined
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return undefined
  }
}

/** The bytes as text when valid UTF-8; a cut body may end inside a character, so up to 3 bytes may go. */
function textOf(bytes: Uint8Array, cut: boolean): string | undefined {
  for (let drop = 0; drop <= (cut ? 3 : 0) && drop < bytes.length; drop++) {
    const text = utf8Text(drop ? bytes.subarray(0, bytes.length - drop) : bytes)
    if (text !== undefined) return text
  }
  return undefined
}

function body(record: DeliveryRecord, max: number): Html {
  const size = `${record.bodySize} bytes`
  if (!record.body) return markup`<p class="muted">Body not archived (${size}).</p>`
  const cut = record.truncated ? `, the first ${record.body.length} archived` : ''
  const download = markup`<a href="${pageUrl({ id: record.deliveryId, body: 'raw' })}" download>download</a>`
  const long = record.body.length > max
  const shownBytes = long ? record.body.subarray(0, max) : record.body
  const hidden = long ? `; the first ${max} bytes shown` : ''
  const text = textOf(shownBytes, long || record.truncated)
  if (text === undefined)
    return markup`<p class="muted">${size}${cut}; binary, shown as hex${hidden} · ${download}</p><pre class="body">${block(hexDump(shownBytes, max))}</pre>`
  const pretty = long || record.truncated ? undefined : prettyJson(text)
  const formatted =
    pretty === undefined
      ? ''
      : markup`<details><summary>Formatted JSON</summary><pre class="body">${block(pretty)}</pre></details>`
  return markup`<p class="muted">${size}${cut}; UTF-8${hidden} · ${download}</p>
<pre class="body" id="hg-body">${block(text)}</pre>
${formatted}`
}

function replayForm(data: DetailData): Html {
  if (data.replayToken === undefined)
    return data.replayBlocked ? markup`<span class="muted">Replay: ${data.replayBlocked}.</span>` : markup``
  const action = pageUrl({ id: data.record.deliveryId, action: 'replay' })
  return markup`<form method="post" action="${action}" data-once>
<input type="hidden" name="token" value="${data.replayToken}">
<button type="submit" class="primary" id="hg-replay">Replay</button>
</form>`
}

export function detailView(data: DetailData): Html {
  const { record } = data
  const { body: _body, sealedHeaders: _sealed, ...summary } = record
  const error = data.error ? markup`<div class="notice error" role="alert">${data.error}</div>` : ''
  return markup`<p><a href="?">← All deliveries</a></p>
<h2 class="mono">${record.deliveryId}</h2>
${error}
<div class="actions">${replayForm(data)}<button type="button" id="hg-copy" hidden>Copy as JSON</button></div>
${facts(record)}
<h2>Headers</h2>
${headersTable(record)}
<h2>Body</h2>
${body(record, data.maxBodyDisplayBytes)}
<script type="application/json" id="hg-record">${jsonData({ ...summary, headers: displayHeaders(record.headers) })}</script>`
}
