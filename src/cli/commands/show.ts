/**
 * `hookguard show <deliveryId>`: one archived delivery in full — headers
 * (redacted), the body as text or hex, the worker's progress. The sealed
 * signature headers kept for replay are never shown.
 *
 * @module
 */
import { positionals } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT, OperationError, UsageError } from '../internal/errors.js'
import { recordJson, recordLines } from '../internal/records.js'
import { STORAGE_HELP, STORAGE_OPTIONS, withStorage } from '../internal/storage.js'

export const show: Command = {
  name: 'show',
  summary: 'one archived delivery: headers (redacted), body, outcome, worker progress',
  options: { ...STORAGE_OPTIONS, raw: { type: 'boolean' } },
  help: `Usage: hookguard show DELIVERY_ID (--sqlite PATH | --postgres URL) [--json | --raw]

One archived delivery. Signature, token and auth headers are redacted; the
body is printed as text when it is valid UTF-8 (control and bidi characters
escaped as \\x1b, \\u202e …), else as a hex dump.

${STORAGE_HELP}

Output:
      --json               the record; "body" is text ("bodyEncoding":"utf8") or base64 ("base64")
      --raw                only the body's exact bytes (redirect to a file: refused on a terminal)

Exits 1 when no delivery has this id.`,
  async run(parsed, { io, out }) {
    const [deliveryId] = positionals(parsed, ['DELIVERY_ID'])
    if (parsed.values.raw && out.json) throw new UsageError('give --json or --raw, not both')
    if (parsed.values.raw && io.stdout.isTTY)
      throw new UsageError('--raw writes the body as received, unescaped: redirect it to a file (> body.bin)')
    const record = await withStorage(parsed.values, io, (storage) => storage.archive.get(deliveryId!))
    if (!record) throw new OperationError(`no archived delivery ${JSON.stringify(deliveryId)}`)
    if (parsed.values.raw) {
      if (!record.body) throw new OperationError(`delivery ${deliveryId}'s body is not archived`)
      io.stdout.write(record.body)
    } else if (out.json) out.value(recordJson(record))
    else for (const line of recordLines(record)) out.line(line)
    return EXIT.ok
  },
}
