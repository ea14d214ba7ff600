/**
 * `hookguard stats`: counts of archived deliveries by outcome, code,
 * provider, type and worker state, over a time range.
 *
 * @module
 */
import { positionals } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT } from '../internal/errors.js'
import { asUsage, RANGE_HELP, RANGE_OPTIONS, rangeOf } from '../internal/filters.js'
import { statsLines } from '../internal/records.js'
import { STORAGE_HELP, STORAGE_OPTIONS, withStorage } from '../internal/storage.js'

export const stats: Command = {
  name: 'stats',
  summary: 'counts of archived deliveries by outcome, code, provider, type and state',
  options: { ...STORAGE_OPTIONS, ...RANGE_OPTIONS },
  help: `Usage: hookguard stats (--sqlite PATH | --postgres URL) [--since TIME] [--until TIME] [--json]

Counts of the archived deliveries in the range (default: everything kept).

${STORAGE_HELP}

Range:
${RANGE_HELP}

Output:
      --json               the archive's stats() object: {"total","byOutcome","byCode","byProvider","byType","byState"}`,
  async run(parsed, { io, out, now }) {
    positionals(parsed, [])
    const range = rangeOf(parsed.values, now)
    const result = await withStorage(parsed.values, io, (storage) => storage.archive.stats(range).catch(asUsage))
    if (out.json) out.value(result)
    else for (const line of statsLines(result)) out.line(line)
    return EXIT.ok
  },
}
