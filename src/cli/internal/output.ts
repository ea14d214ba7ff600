/**
 * Internal: writing results. Human output escapes every control, bidi and
 * invisible character (an archived payload must not drive the terminal);
 * `--json` output is JSON whose string escapes cover the same characters,
 * so it is safe to print as well as to parse.
 *
 * @module
 */
import { visible } from '../../internal/display.js'
import type { CliIo } from './io.js'

const JSON_UNSAFE_RE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g

/** JSON text with the characters JSON.stringify leaves raw (C1, bidi, U+2028/2029 …) written as \u escapes. */
export function safeJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => (item instanceof Uint8Array ? Array.from(item) : item),
    indent,
  )
  return (text ?? 'null').replace(JSON_UNSAFE_RE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Text from a payload, with hidden characters escaped, for one line of human output. */
export function shown(text: unknown): string {
  return visible(String(text ?? ''), 'escape')
}

export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** One line of human output (already escaped where it holds payload text). */
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`)
  }

  /** One JSON document: indented on a terminal, one line otherwise (and always, for streams: `compact`). */
  value(value: unknown, options: { compact?: boolean } = {}): void {
    this.io.stdout.write(`${safeJson(value, this.io.stdout.isTTY && !options.compact ? 2 : undefined)}\n`)
  }

  /** A note for people, on stderr (kept off stdout so `--json` stays parseable). */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`)
  }
}
