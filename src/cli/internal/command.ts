/**
 * Internal: the shape of one command module.
 *
 * @module
 */
import type { OptionSpecs, Parsed } from './args.js'
import type { CliIo } from './io.js'
import type { Output } from './output.js'

export interface CommandContext {
  io: CliIo
  out: Output
  /** ms since the epoch, read once when the command starts. */
  now: number
}

export interface Command {
  name: string
  /** One line for `hookguard --help`. */
  summary: string
  /** The whole `hookguard <name> --help` text. */
  help: string
  options: OptionSpecs
  /** Resolves to the exit code; throws UsageError (2) or OperationError (1). */
  run(parsed: Parsed, context: CommandContext): Promise<number>
}
