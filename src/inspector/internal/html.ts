/**
 * Internal: HTML built only through a tagged template that escapes every
 * interpolation. A value is trusted markup only when it is itself the result
 * of `markup```; everything else — strings, numbers, anything from the archive
 * — is escaped for text and quoted attribute values alike (& < > " ' all
 * become entities) and has its control, bidi and invisible characters
 * written visibly as `[U+202E]`. Templates always quote attribute values.
 *
 * @module
 */
import { visible } from '../../internal/display.js'

const TRUSTED = Symbol('hookguard.html')

/** Markup produced by {@link markup}; the only thing interpolated unescaped. */
export interface Html {
  readonly [TRUSTED]: true
  readonly text: string
}

function trusted(text: string): Html {
  return { [TRUSTED]: true, text }
}

function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && (value as Html)[TRUSTED] === true
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

function entities(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!)
}

/** Text safe anywhere in a template: element content or a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return entities(visible(String(value), 'codepoint'))
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return ''
  if (isHtml(value)) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(value)
}

/**
 * The one way markup is made: every `${value}` is escaped unless it is
 * already Html. (Not named `html`: Prettier would reformat such templates as
 * HTML, whitespace inside `<pre>` included.)
 */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!
  return trusted(out)
}

/** A constant of hookguard's own source (the stylesheet) as markup; never for data. */
export function constantMarkup(text: string): Html {
  return trusted(text)
}

/** Multi-line text for a `<pre>`: line breaks and tabs kept, everything else as {@link escapeHtml}. */
export function block(text: string): Html {
  return trusted(entities(visible(text, 'codepoint', { lines: true })))
}

// `<`, `>` and `&`, then what JSON.stringify leaves raw: C1 controls, bidi and invisible characters, U+2028/2029.
const JSON_DATA_RE = /[<>&\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g

/**
 * JSON for a `<script type="application/json">` data block: `<`, `>` and `&`
 * as \u escapes (no `</script>` or `<!--` can end or change the element),
 * U+2028/2029, bidi and invisible characters escaped too. Read it back with
 * `JSON.parse(element.textContent)`.
 */
export function jsonData(value: unknown): Html {
  const text = JSON.stringify(value) ?? 'null'
  return trusted(text.replace(JSON_DATA_RE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`))
}

/** A relative URL to this page with these query parameters (`?a=1&b=2`; `?` alone for none). */
export function pageUrl(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(name, value)
  const text = query.toString()
  return text ? `?${text}` : '?'
}
