/**
 * The shared case table through Express, Koa, Hono, Fetch and node:http over
 * real HTTP. Each case states what every adapter must answer, and the test
 * also checks that status, body and enqueue count are the same everywhere.
 */
import { describe, expect, it } from 'vitest'
import { capturingLogger } from '../support/log.js'
import { createReceiver } from '../../src/receiver/index.js'
import type { QueuedEvent } from '../../src/types/index.js'
import { FIXTURES, type ProviderFixture } from '../support/providers.js'
import { CASES, signedFor, type AdapterCase, type CaseEnv } from './cases.js'
import { send, type Answer } from './http.js'
import { ADAPTERS, type AdapterUnderTest } from './servers.js'

interface Observation {
  statuses: number[]
  bodies: unknown[]
  enqueued: number
  headers: Array<Record<string, string | undefined>>
}

const COMPARED_HEADERS = ['content-type', 'retry-after', 'allow', 'hookguard-outcome', 'hookguard-duplicate']

/** 2xx: the outcome header (a provider may answer with its own body, as Discord does); others: the error code. */
function codeOf(answer: Answer): string | undefined {
  if (answer.status >= 200 && answer.status < 300) return answer.headers['hookguard-outcome'] as string | undefined
  return (answer.json as { error?: { code?: string } } | undefined)?.error?.code
}

async function runCase(
  adapter: AdapterUnderTest,
  fixture: ProviderFixture,
  testCase: AdapterCase,
  signedAt: number,
): Promise<Observation> {
  const enqueued: QueuedEvent[] = []
  const logs: string[] = []
  const setup = testCase.setup?.({ enqueued }) ?? {}
  const provider = fixture.make()
  const receiver = createReceiver({
    provider,
    queue: {
      async enqueue(event) {
        enqueued.push(event)
      },
    },
    logger: capturingLogger(logs),
    ...setup.receiver,
  })
  const server = await adapter.start(receiver, { bodyTimeoutMs: setup.bodyTimeoutMs, preParsed: setup.preParsed })
  try {
    const env: CaseEnv = {
      fixture,
      provider,
      url: server.url,
      send: (sent) => send(server.url, sent),
      // One signing time for every adapter: Plaid's event id carries it, and the answers are compared.
      signed: (options) => signedFor(fixture, provider, server.url, { timestamp: signedAt, ...options }),
      enqueued,
      logs,
      state: setup.state ?? {},
    }
    const answers = await testCase.run(env)
    const where = `${adapter.name} / ${fixture.name} / ${testCase.name}`
    const { expected } = testCase
    expect(answers.length, where).toBe(expected.statuses.length)
    answers.forEach((answer, i) => {
      const allowed = expected.statuses[i]!
      expect(Array.isArray(allowed) ? allowed : [allowed], `${where}: status #${i} (${answer.text})`).toContain(
        answer.status,
      )
      const code = expected.codes?.[i]
      if (code === '*') expect(expected.anyOf, `${where}: code #${i}`).toContain(codeOf(answer))
      else if (code !== undefined) expect(codeOf(answer), `${where}: code #${i}`).toBe(code)
      // Error bodies carry a code and a fixed message, nothing else.
      if (answer.status >= 400)
        expect(Object.keys((answer.json as { error: object }).error).sort(), where).toEqual(['code', 'message'])
    })
    const last = answers[answers.length - 1]!
    for (const [name, value] of Object.entries(expected.headers ?? {}))
      expect(last.headers[name], `${where}: header ${name}`).toBe(value)
    expect(enqueued.length, `${where}: enqueued`).toBe(expected.enqueued)
    testCase.after?.(env, answers)
    return {
      statuses: answers.map((a) => a.status),
      bodies: answers.map((a) => a.json ?? a.text),
      enqueued: enqueued.length,
      headers: answers.map((a) =>
        Object.fromEntries(COMPARED_HEADERS.map((h) => [h, a.headers[h] as string | undefined])),
      ),
    }
  } finally {
    await server.close()
    await receiver.close()
  }
}

const GENERIC_FIXTURE = FIXTURES.find((f) => f.name === 'stripe') ?? FIXTURES[0]!

describe('one case table, every adapter', () => {
  it('covers every provider fixture and all five adapters', () => {
    expect(ADAPTERS.map((a) => a.name)).toEqual([
      'express',
      'express4',
      'koa',
      'koa2',
      'hono',
      'fetch',
      'node',
      'fastify',
      'fastify4',
    ])
    expect(FIXTURES.length).toBeGreaterThanOrEqual(4)
  })

  for (const fixture of FIXTURES) {
    describe(fixture.name, () => {
      for (const testCase of CASES) {
        if (!testCase.perProvider && fixture !== GENERIC_FIXTURE) continue
        if (testCase.applies && !testCase.applies(fixture)) continue
        it(testCase.name, async () => {
          // Independent servers and receivers: the adapters run side by side.
          const adapters = ADAPTERS.filter((adapter) => !testCase.needsPreParse || adapter.preParse)
          const signedAt = Math.floor(Date.now() / 1000)
          const observed = await Promise.all(
            adapters.map(
              async (adapter) => [adapter.name, await runCase(adapter, fixture, testCase, signedAt)] as const,
            ),
          )
          const [first, ...rest] = observed
          for (const [name, observation] of rest)
            expect({ adapter: name, ...observation }).toEqual({ adapter: name, ...first![1] })
        })
      }
    })
  }
})
