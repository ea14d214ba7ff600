/**
 * `hookguard list`: archived deliveries, newest first, filtered and paged.
 *
 * @module
 */
import { positionals, stringValue } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT } from '../internal/errors.js'
import { asUsage, FILTER_HELP, FILTER_OPTIONS, limitOf, queryOf } from '../internal/filters.js'
import { LIST_COLUMNS, recordJson, summaryRow, table } from '../internal/records.js'
import { STORAGE_HELP, STORAGE_OPTIONS, withStorage } from '../internal/storage.js'

export const list: Command = {
  name: 'list',
  summary: 'archived deliveries, newest first, filtered and paged',
  options: { ...STORAGE_OPTIONS, ...FILTER_OPTIONS, limit: { type: 'string', short: 'n' }, cursor: { type: 'string' } },
  help: `Usage: hookguard list (--sqlite PATH | --postgres URL) [filters] [--limit N] [--cursor C] [--json]

Archived deliveries, newest first. When more match than --limit, the last
line gives the --cursor of the next page.

${STORAGE_HELP}

${FILTER_HELP}

Paging:
  -n, --limit N            at most N deliveries (1-1000, default 20)
      --cursor C           the next page, from the previous page's cursor

Output:
      --json               {"items":[…],"cursor"?} (never the sealed signature headers)`,
  async run(parsed, { io, out, now }) {
    positionals(parsed, [])
    const query = { ...queryOf(parsed.values, now), limit: limitOf(parsed.values, 20) }
    const cursor = stringValue(parsed.values, 'cursor')
    if (cursor !== undefined) query.cursor = cursor
    const page = await withStorage(parsed.values, io, (storage) => storage.archive.list(query).catch(asUsage))
    if (out.json) {
      out.value({ items: page.items.map(recordJson), ...(page.cursor ? { cursor: page.cursor } : {}) })
      return EXIT.ok
    }
    if (page.items.length === 0) out.line('no deliveries match')
    else for (const line of table(LIST_COLUMNS, page.items.map(summaryRow))) out.line(line)
    if (page.cursor) out.line(`more: --cursor ${page.cursor}`)
    return EXIT.ok
  },
}
