/**
 * `hookguard replay <deliveryId>`: run an archived delivery again through a
 * receiver built on the same archive and queue (`receiver.replay`). The
 * bytes are verified again with the secret given here unless `--no-verify`;
 * the new run is enqueued under its own key for the application's worker,
 * and gets its own archive record, whose id is printed.
 *
 * @module
 */
import { isHookguardError } from '../../errors.js'
import { createReceiver, type ReplayResult } from '../../receiver/index.js'
import { positionals } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT, OperationError, UsageError } from '../internal/errors.js'
import { shown } from '../internal/output.js'
import { buildProvider, PROVIDER_HELP, PROVIDER_OPTIONS } from '../internal/providers.js'
import {
  QUEUE_HELP,
  QUEUE_OPTIONS,
  STORAGE_HELP,
  STORAGE_OPTIONS,
  stderrLogger,
  withStorage,
  type Storage,
} from '../internal/storage.js'
import type { CliIo } from '../internal/io.js'
import type { Values } from '../internal/args.js'

async function replayOne(storage: Storage, io: CliIo, values: Values, deliveryId: string): Promise<ReplayResult> {
  const record = await storage.archive.get(deliveryId)
  if (!record) throw new OperationError(`no archived delivery ${JSON.stringify(deliveryId)}`)
  const { provider } = buildProvider(values, io, { signing: false, fallbackName: record.provider })
  if (provider.name !== record.provider)
    throw new UsageError(`delivery ${deliveryId} came from ${record.provider}: give --provider ${record.provider}`)
  const queue = await storage.queue()
  // Same receiver name as the original, so the replay's key extends the original's.
  const receiver = createReceiver({
    provider,
    archive: storage.archive,
    queue,
    name: record.receiver,
    logger: stderrLogger(io),
  })
  try {
    return await receiver.replay(deliveryId, { verify: values['no-verify'] !== true })
  } catch (error) {
    if (isHookguardError(error)) throw new OperationError(error.reason ?? error.message)
    throw error
  } finally {
    // Flushes the new record to the archive; the queue is closed with the storage.
    await receiver.close()
  }
}

export const replay: Command = {
  name: 'replay',
  summary: 'run an archived delivery again (verified again unless --no-verify)',
  options: { ...STORAGE_OPTIONS, ...QUEUE_OPTIONS, ...PROVIDER_OPTIONS, 'no-verify': { type: 'boolean' } },
  help: `Usage: hookguard replay DELIVERY_ID (--sqlite PATH | --postgres URL) --secret env:NAME [options]

Runs an archived delivery again: its archived bytes are verified again with
the secret given here (at the time they arrived, so an old delivery still
verifies), then enqueued as a new run under its own key, past the completed
dedupe state, for your application's worker to handle. The new run gets its
own archive record (replayOf = DELIVERY_ID); its id is printed.

--provider defaults to the delivery's provider. Nothing runs a handler here:
the queue must be the one your worker reads (the --sqlite file, or --redis).

${STORAGE_HELP}

${QUEUE_HELP}

${PROVIDER_HELP}

Replay:
      --no-verify          skip verification (recorded as verified: false), for deliveries whose
                           credentials are not archived (GitLab's token)
      --json               {"deliveryId","replayOf","key","eventId","verified"}

Exits 1 when the delivery is unknown or cannot be replayed (rejected for its
signature, body not archived in full, no longer verifies, a handshake).`,
  async run(parsed, { io, out }) {
    const [deliveryId] = positionals(parsed, ['DELIVERY_ID'])
    const result = await withStorage(parsed.values, io, (storage) => replayOne(storage, io, parsed.values, deliveryId!))
    if (out.json) out.value(result)
    else {
      out.line(result.deliveryId)
      out.note(
        `replayed ${shown(result.replayOf)} as ${shown(result.deliveryId)} (key ${shown(result.key)}${result.verified ? '' : ', not verified'})`,
      )
    }
    return EXIT.ok
  },
}
