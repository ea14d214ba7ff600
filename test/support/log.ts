/**
 * A logger that keeps its lines, for tests that check what was logged.
 */
import type { LogFields, Logger } from '../../src/types/index.js'

/** Each line as `<message> key=value …` (strings unquoted), so a test can match on either. */
export function capturingLogger(
  lines: string[] = [],
  levels: Array<'warn' | 'error'> = ['warn', 'error'],
): Logger & { lines: string[] } {
  const keep = (level: 'warn' | 'error') => (fields: LogFields, message: string) => {
    if (!levels.includes(level)) return
    const pairs = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    lines.push([message, ...pairs].join(' '))
  }
  return { warn: keep('warn'), error: keep('error'), lines }
}
