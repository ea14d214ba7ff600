/**
 * `hookguard dead list | retry KEY | retry --all | discard KEY`: the
 * queue's dead letters (jobs given up after their last attempt).
 *
 * @module
 */
import { clip } from '../../internal/display.js'
import type { DeadLetter, WebhookQueue } from '../../types/index.js'
import { integerValue, positionals } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT, OperationError, UsageError } from '../internal/errors.js'
import type { Output } from '../internal/output.js'
import { shown } from '../internal/output.js'
import { isoTime, table } from '../internal/records.js'
import { openQueue, QUEUE_HELP, QUEUE_OPTIONS } from '../internal/storage.js'

const ACTIONS = ['list', 'retry', 'discard']

function method<K extends keyof WebhookQueue>(queue: WebhookQueue, name: K): NonNullable<WebhookQueue[K]> {
  const fn = queue[name]
  if (typeof fn !== 'function') throw new OperationError(`this queue has no ${String(name)}()`)
  return (fn as (...args: unknown[]) => unknown).bind(queue) as NonNullable<WebhookQueue[K]>
}

function deadRow(letter: DeadLetter): string[] {
  return [
    shown(letter.key),
    isoTime(letter.failedAt),
    String(letter.attempts),
    clip(shown(letter.event?.type ?? '-'), 40),
    clip(shown(letter.error.split('\n')[0]), 80),
  ]
}

async function listDead(queue: WebhookQueue, out: Output, limit: number): Promise<number> {
  const stats = typeof queue.stats === 'function' ? await queue.stats() : undefined
  const letters = await method(queue, 'deadLetters')({ limit })
  if (out.json) {
    out.value({ ...(stats ? { stats } : {}), items: letters })
    return EXIT.ok
  }
  if (stats) out.line(`pending ${stats.pending}, running ${stats.running}, done ${stats.done}, dead ${stats.dead}`)
  if (letters.length === 0) out.line('no dead letters')
  else for (const line of table(['KEY', 'FAILED', 'ATTEMPTS', 'TYPE', 'ERROR'], letters.map(deadRow))) out.line(line)
  return EXIT.ok
}

async function act(
  queue: WebhookQueue,
  out: Output,
  action: string,
  key: string | undefined,
  all: boolean,
): Promise<number> {
  if (action === 'retry' && all) {
    const count = await method(queue, 'retryAllDead')()
    if (out.json) out.value({ retried: count })
    else out.line(`retried ${count} dead letter(s)`)
    return EXIT.ok
  }
  const done = await method(queue, action === 'retry' ? 'retryDead' : 'discardDead')(key!)
  if (out.json) out.value({ key, [action === 'retry' ? 'retried' : 'discarded']: done })
  if (!done) throw new OperationError(`${JSON.stringify(key)} is not a dead letter`)
  if (!out.json) out.line(`${action === 'retry' ? 'retried' : 'discarded'} ${shown(key)}`)
  return EXIT.ok
}

export const dead: Command = {
  name: 'dead',
  summary: 'dead letters: list, retry one or all, discard',
  options: {
    sqlite: { type: 'string' },
    postgres: { type: 'string' },
    ...QUEUE_OPTIONS,
    all: { type: 'boolean' },
    limit: { type: 'string', short: 'n' },
  },
  help: `Usage: hookguard dead list [--limit N] QUEUE
       hookguard dead retry KEY QUEUE
       hookguard dead retry --all QUEUE
       hookguard dead discard KEY QUEUE

The queue's dead letters: events whose handler failed on every attempt.
'retry' puts one (or --all) back with fresh attempts; 'discard' deletes one
for good. Exits 1 when KEY is not a dead letter.

QUEUE is one of:
      --sqlite PATH        the sqliteQueue in this file
      --postgres URL       postgresQueue (pg-boss) on this database
${QUEUE_HELP}

Output:
  -n, --limit N            dead letters listed (1-1000, default 100)
      --json               list: {"stats"?,"items":[DeadLetter…]}; retry/discard: {"key","retried"|"discarded"}`,
  async run(parsed, { io, out }) {
    const [action, key] = positionals(parsed, ['list, retry or discard', 'KEY'], 1)
    if (!ACTIONS.includes(action!))
      throw new UsageError(`unknown action ${JSON.stringify(action)} (list, retry, discard)`)
    const all = parsed.values.all === true
    if (action === 'list' && key !== undefined) throw new UsageError(`dead list takes no KEY`)
    if (all && action !== 'retry') throw new UsageError('--all is only for dead retry')
    if (action !== 'list' && (key === undefined) === !(all && action === 'retry'))
      throw new UsageError(action === 'retry' ? 'dead retry needs KEY or --all (not both)' : 'dead discard needs KEY')
    const limit = integerValue(parsed.values, 'limit', 1, 1000) ?? 100
    const queue = await openQueue(parsed.values, io)
    try {
      return action === 'list'
        ? await listDead(queue.value, out, limit)
        : await act(queue.value, out, action!, key, all)
    } finally {
      await queue.close()
    }
  },
}
