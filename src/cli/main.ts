/**
 * The `hookguard` command line: `main(argv, io)` runs one command and
 * resolves to its exit code (0 ok, 1 the operation failed, 2 bad input).
 * The bin (`bin/hookguard.mjs`) calls it with the process's streams.
 *
 * @module
 */
import { closest } from '../internal/suggest.js'
import { dead } from './commands/dead.js'
import { inspectCommand } from './commands/inspect.js'
import { list } from './commands/list.js'
import { replay } from './commands/replay.js'
import { send } from './commands/send.js'
import { show } from './commands/show.js'
import { sign } from './commands/sign.js'
import { stats } from './commands/stats.js'
import { tail } from './commands/tail.js'
import { parseCommandArgs } from './internal/args.js'
import type { Command } from './internal/command.js'
import { EXIT, OperationError, UsageError } from './internal/errors.js'
import { processIo, type CliIo } from './internal/io.js'
import { Output } from './internal/output.js'

export type { CliIo } from './internal/io.js'

const COMMANDS: readonly Command[] = [sign, send, stats, list, show, tail, replay, dead, inspectCommand]

function usage(io: CliIo): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length))
  return `hookguard ${io.version} — sign and send test deliveries, read the delivery archive, replay, dead letters.

Usage: hookguard <command> [options]      hookguard <command> --help

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Every command takes --json (machine-readable output) and --help.
Secrets are given as env:NAME (recommended), file:PATH or the value itself, and never printed.

Exit codes:
  0  done
  1  the operation failed (not found, not replayable, a non-2xx answer, a service unreachable)
  2  bad input or usage (unknown command or option, missing or malformed value)
`
}

function errorLine(io: CliIo, command: string | undefined, message: string): void {
  // eslint-disable-next-line no-control-regex -- a message must stay one line and drive no terminal
  const oneLine = message.split('\n')[0]!.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
  io.stderr.write(`hookguard${command ? ` ${command}` : ''}: ${oneLine}\n`)
}

async function runCommand(command: Command, argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(command.options, argv)
  if (parsed.values.help === true) {
    io.stdout.write(`${command.help}\n\nExit codes: 0 done, 1 the operation failed, 2 bad input or usage.\n`)
    return EXIT.ok
  }
  const out = new Output(io, parsed.values.json === true)
  return command.run(parsed, { io, out, now: Date.now() })
}

/** Runs `hookguard <argv…>`; resolves to the exit code and never rejects. */
export async function main(argv: readonly string[], io: CliIo = processIo('0.0.0')): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io[name === undefined ? 'stderr' : 'stdout'].write(usage(io))
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${io.version}\n`)
    return EXIT.ok
  }
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (!command) {
    const guess = closest(
      name,
      COMMANDS.map((candidate) => candidate.name),
    )
    errorLine(
      io,
      undefined,
      `unknown command ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}; hookguard --help lists them`,
    )
    return EXIT.usage
  }
  try {
    return await runCommand(command, rest, io)
  } catch (error) {
    if (error instanceof UsageError) {
      errorLine(io, command.name, `${error.message} (hookguard ${command.name} --help)`)
      return EXIT.usage
    }
    errorLine(
      io,
      command.name,
      error instanceof OperationError ? error.message : `${(error as Error)?.message ?? String(error)}`,
    )
    return EXIT.failed
  }
}

export { processIo }
