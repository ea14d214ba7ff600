/**
 * Internal: how tools that show archived deliveries to people (the CLI, the
 * inspector page) turn attacker-controlled bytes into something safe to
 * look at. Control, bidi and invisible characters are made visible (a
 * U+202E would otherwise reverse what follows it on screen, an ESC would
 * drive the terminal), header values are redacted again by name (defence in
 * depth: a custom archive may have stored them raw), and the sealed
 * signature headers kept for replay are dropped before anything is shown.
 *
 * @module
 */
/* eslint-disable no-control-regex -- these patterns exist to find control characters */
import type { DeliveryRecord } from '../types/index.js'
import { HeaderRedactor, REDACTED } from './headers.js'

/**
 * Characters never shown as they are: C0 controls, DEL, C1 controls, the
 * bidi embeddings/overrides/isolates and marks, zero-width characters, the
 * line and paragraph separators, the BOM and the interlinear annotation marks.
 */
const HIDDEN_RE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g
const HIDDEN_KEEP_LINES_RE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g
const LINE_BREAKS_RE = /\r\n?|\n/g

/** How a hidden character is written: `\x1b`, `\u202e` (the CLI) or `[U+202E]` (the page). */
export type HiddenStyle = 'escape' | 'codepoint'

function marker(style: HiddenStyle): (char: string) => string {
  if (style === 'codepoint') return (char) => `[U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`
  return (char) => {
    const code = char.charCodeAt(0)
    if (code === 0x0a) return '\\n'
    if (code === 0x0d) return '\\r'
    if (code === 0x09) return '\\t'
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  }
}

const MARKERS: Record<HiddenStyle, (char: string) => string> = {
  escape: marker('escape'),
  codepoint: marker('codepoint'),
}

/**
 * `text` with every hidden character written visibly. `lines: true` keeps
 * line feeds and tabs (for bodies shown as blocks) and normalises CR LF.
 */
export function visible(text: string, style: HiddenStyle, options: { lines?: boolean } = {}): string {
  if (options.lines) return text.replace(LINE_BREAKS_RE, '\n').replace(HIDDEN_KEEP_LINES_RE, MARKERS[style])
  return text.replace(HIDDEN_RE, MARKERS[style])
}

/** At most `max` characters of `text`, with how many were left out. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`
}

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The bytes as text when they are valid UTF-8, else undefined. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return fatal.decode(bytes)
  } catch {
    return undefined
  }
}

/** Classic hex dump (offset, 16 bytes in hex, printable ASCII) of at most `max` bytes. */
export function hexDump(bytes: Uint8Array, max = 64 * 1024): string {
  const lines: string[] = []
  const end = Math.min(bytes.length, max)
  for (let offset = 0; offset < end; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, end))
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  if (bytes.length > end) lines.push(`… ${bytes.length - end} more bytes`)
  return lines.join('\n')
}

// No provider's own names are known here: the generic patterns (signature, token,
// secret, auth …) cover every built-in provider's signature and token headers.
const displayRedactor = new HeaderRedactor(new Set())

/** Archived headers as shown: sensitive names redacted again, values as stored. */
export function displayHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers || typeof headers !== 'object') return out
  for (const name of Object.keys(headers).sort()) {
    const value = headers[name]
    out[name] = displayRedactor.isSensitive(name.toLowerCase()) ? REDACTED : String(value)
  }
  return out
}

/** A record as tools may show it: never the sealed signature headers, headers redacted again. */
export function shownRecord<R extends Partial<DeliveryRecord>>(record: R): Omit<R, 'sealedHeaders'> {
  const { sealedHeaders: _sealed, ...rest } = record
  return { ...rest, headers: displayHeaders(record.headers) } as Omit<R, 'sealedHeaders'>
}
