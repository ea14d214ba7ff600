/**
 * `--help` and the exit codes, run as the built bin: every command documents
 * every flag it accepts, top-level help lists every command and the exit
 * codes, and mistakes are one line on stderr with exit 2.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { dead } from '../../src/cli/commands/dead.js'
import { inspectCommand } from '../../src/cli/commands/inspect.js'
import { list } from '../../src/cli/commands/list.js'
import { replay } from '../../src/cli/commands/replay.js'
import { send } from '../../src/cli/commands/send.js'
import { show } from '../../src/cli/commands/show.js'
import { sign } from '../../src/cli/commands/sign.js'
import { stats } from '../../src/cli/commands/stats.js'
import { tail } from '../../src/cli/commands/tail.js'
import { builtBin, run } from './support/built.js'

const COMMANDS = [sign, send, stats, list, show, tail, replay, dead, inspectCommand]

beforeAll(() => builtBin(), 300_000)

describe('hookguard --help', () => {
  it('lists every command, --json/--help and the exit codes; exits 0', async () => {
    const result = await run(['--help'])
    expect(result.code).toBe(0)
    for (const command of COMMANDS)
      expect(result.stdout).toMatch(new RegExp(`^  ${command.name} +${command.summary.replace(/[()]/g, '\\$&')}$`, 'm'))
    expect(result.stdout).toContain('Every command takes --json')
    expect(result.stdout).toMatch(/^ {2}0 {2}done\n {2}1 {2}the operation failed.*\n {2}2 {2}bad input or usage/m)
  })

  it('without a command prints the same to stderr and exits 2', async () => {
    const result = await run([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Exit codes:')
  })

  it('--version prints the package version', async () => {
    const { version } = await import('../../package.json', { with: { type: 'json' } }).then((m) => m.default)
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` })
  })

  it.each(COMMANDS.map((command) => [command.name, command] as const))(
    '%s --help documents every flag it takes',
    async (name, command) => {
      const result = await run([name, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^Usage: hookguard ${name}`))
      for (const [flag, spec] of Object.entries({ ...command.options, json: { type: 'boolean', short: undefined } })) {
        expect(result.stdout, `--${flag}`).toContain(`--${flag}`)
        if ('short' in spec && spec.short)
          expect(result.stdout, `-${spec.short}`).toContain(`-${spec.short}, --${flag}`)
      }
      expect(result.stdout).toContain('Exit codes: 0 done, 1 the operation failed, 2 bad input or usage.')
    },
  )
})

describe('usage errors', () => {
  it.each([
    [['sing'], /^hookguard: unknown command "sing" \(did you mean sign\?\); hookguard --help lists them$/],
    [
      ['list', '--sqllite', 'x'],
      /^hookguard list: unknown option --sqllite \(did you mean --sqlite\?\) \(hookguard list --help\)$/,
    ],
    [['list', '--json=yes'], /^hookguard list: --json takes no value/],
    [['stats', 'extra', '--sqlite', 'x'], /^hookguard stats: unexpected argument "extra"/],
  ])('%j', async (args, message) => {
    const result = await run(args)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trimEnd()).toMatch(message)
  })
})
