import { describe, expect, it } from 'vitest'
import { createReceiver, createWorker, memoryQueue, memoryStore, stripe } from '../../src/index.js'
import { capturingLogger } from '../support/log.js'

const SECRET = 'whsec_test_options_0123456789abcdef'
const provider = stripe({ secret: SECRET })

describe('createReceiver tells a newcomer what is wrong', () => {
  it.each([
    ['handlr', /unknown option 'handlr' — did you mean 'handler'\?/],
    [
      'toleranceSeconds',
      /'toleranceSeconds' — tolerance belongs to the provider, in seconds: stripe\(\{ secret, tolerance: 300 \}\)/,
    ],
    ['inlined', /'inlined' — inline mode is an adapter option: hookguard\(receiver, \{ inline: true \}\)/],
    ['secret', /the secret belongs to the provider/],
    ['stroe', /did you mean 'store'\?/],
    ['maxBodySize', /did you mean 'maxBodyBytes'\?/],
  ])('refuses the unknown option %s, naming the fix', (option, message) => {
    expect(() => createReceiver({ provider, [option]: 1 } as never)).toThrow(message)
    expect(() => createReceiver({ provider, [option]: 1 } as never)).toThrow(TypeError)
  })

  it('says so when the provider factory is passed instead of called', () => {
    expect(() => createReceiver({ provider: stripe } as never)).toThrow(
      /factory stripe itself — call it: provider: stripe\(\{ secret/,
    )
  })

  it('refuses a receiver name that cannot fit a dedupe key, at construction', () => {
    expect(() => createReceiver({ provider, name: 'é'.repeat(128) })).toThrow(/name is too long for a dedupe key/)
    expect(() => createReceiver({ provider, name: '\ud800x' })).toThrow(/well-formed Unicode/)
    expect(() => createReceiver({ provider, name: 'x'.repeat(129) })).toThrow(/at most 128/)
    expect(() => createReceiver({ provider, name: 'tenant-é' })).not.toThrow()
  })

  it('warns once at construction when accepted events would wait in memory with nothing to run them', () => {
    const logs: string[] = []
    createReceiver({ provider, logger: capturingLogger(logs) })
    expect(logs.join('\n')).toMatch(/no handler: accepted events wait in the in-memory queue/)
    const quiet: string[] = []
    createReceiver({ provider, logger: capturingLogger(quiet), handler: () => {} })
    createReceiver({ provider, logger: capturingLogger(quiet), queue: { enqueue: async () => {} } })
    expect(quiet).toEqual([])
  })

  it('refuses handler and handlers together, bad patterns, and unhandled without handlers', () => {
    expect(() => createReceiver({ provider, handler: () => {}, handlers: { '*': () => {} } })).toThrow(
      /handler or handlers, not both/,
    )
    expect(() => createReceiver({ provider, handlers: { 'a*b': () => {} } as never })).toThrow(/'prefix\.\*' or '\*'/)
    expect(() => createReceiver({ provider, handlers: { 'a.*.b': () => {} } as never })).toThrow(/'prefix\.\*'/)
    expect(() => createReceiver({ provider, handlers: { 'a.b': 'no' } as never })).toThrow(/must be a function/)
    expect(() => createReceiver({ provider, handlers: {} })).toThrow(/handlers is empty/)
    expect(() => createReceiver({ provider, unhandled: 'ack' })).toThrow(/needs handlers/)
    expect(() => createReceiver({ provider, handlers: { '*': () => {} }, unhandled: 'drop' as never })).toThrow(
      /'ack' or 'enqueue'/,
    )
  })

  it('refuses ordering without entity/version, and on a store without advance()', () => {
    expect(() => createReceiver({ provider, ordering: {} as never, handler: () => {} })).toThrow(
      /entity\(event\) and version\(event\)/,
    )
    const store = { reserve: memoryStore().reserve, complete: async () => true, release: async () => true }
    expect(() =>
      createReceiver({ provider, store, ordering: { entity: () => 'x', version: () => 1 }, handler: () => {} }),
    ).toThrow(/store with advance\(\)/)
  })

  it('refuses an archive or metrics object without the interface', () => {
    expect(() => createReceiver({ provider, archive: { write: async () => {} } as never })).toThrow(
      /archive\.progress must be a function/,
    )
    expect(() => createReceiver({ provider, metrics: {} as never })).toThrow(/metrics\.delivery must be a function/)
  })

  it('createWorker refuses unknown options and a queue without a worker', () => {
    expect(() => createWorker({ queue: memoryQueue(), handlr: () => {} } as never)).toThrow(/did you mean 'handler'/)
    expect(() => createWorker({ queue: { enqueue: async () => {} }, handler: () => {} })).toThrow(/process\(\)/)
    expect(() => createWorker({ queue: memoryQueue() } as never)).toThrow(/handler or handlers/)
  })
})

describe('provider factories tell a newcomer what is wrong', () => {
  it('a missing secret suggests the environment variable is unset', () => {
    expect(() => stripe({ secret: process.env.HOOKGUARD_SURELY_UNSET_VARIABLE as string })).toThrow(
      /secret must be a string.*got undefined.*environment variable/,
    )
  })

  it('a tolerance that looks like milliseconds is refused with the conversion', () => {
    expect(() => stripe({ secret: SECRET, tolerance: 300_000 })).toThrow(
      /tolerance is in seconds.*milliseconds\?.*tolerance: 300/,
    )
    expect(() => stripe({ secret: SECRET, tolerance: 600 })).not.toThrow()
  })
})
