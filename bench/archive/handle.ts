/**
 * The archive's cost inside `receiver.handle()`, without HTTP: main-thread
 * CPU per call of a memory-path receiver (32 calls in flight), without an
 * archive and with each archive. Deliveries are signed before the clock
 * starts. Steadier than HTTP figures on a shared machine; rounds alternate
 * between setups and the minimum of each (least disturbed) is reported with
 * the median.
 */
import { createReceiver, memoryQueue, memoryStore, stripe } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import type { DeliveryArchive, WebhookRequest } from '../../src/types/index.js'
import { mainThreadCpuMs } from './cpu.js'
import type { ThroughputSetup } from './throughput.js'

const SECRET = 'whsec_bench_archive_0123456789abcdef'
const PADDING = 'x'.repeat(860)

async function signed(count: number, tag: string): Promise<WebhookRequest[]> {
  const provider = stripe({ secret: SECRET })
  const out: WebhookRequest[] = []
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({
      id: `evt_${tag}_${i}`,
      object: 'event',
      type: 'invoice.paid',
      data: { object: { id: `in_${i}`, description: PADDING } },
    })
    const request = await signRequest(provider, { body })
    const headers = {
      ...request.headers,
      'content-type': 'application/json',
      host: '127.0.0.1',
      'content-length': String(body.length),
      'user-agent': 'Stripe/1.0',
    }
    out.push({ method: 'POST', url: 'http://127.0.0.1/webhooks/stripe', headers, body: Buffer.from(body) })
  }
  return out
}

async function once(archive: DeliveryArchive | undefined, requests: WebhookRequest[], warmup: number): Promise<number> {
  const receiver = createReceiver({
    provider: stripe({ secret: SECRET }),
    store: memoryStore({ maxKeys: 1_000_000 }),
    queue: memoryQueue({ rememberKeys: 1_000_000 }),
    handler: () => {},
    logger: false,
    ...(archive ? { archive } : {}),
  })
  for (let i = 0; i < warmup; i++) await receiver.handle(requests[i]!)
  const started = mainThreadCpuMs()
  let next = warmup
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < requests.length) await receiver.handle(requests[next++]!)
    }),
  )
  await receiver.flushArchive()
  const us = ((mainThreadCpuMs() - started) * 1000) / (requests.length - warmup)
  await receiver.close()
  return us
}

/** Main-thread µs per handle(), per setup: every round's figures. */
export async function measureHandle(
  setups: ThroughputSetup[],
  rounds: number,
  calls = 20_000,
): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>(setups.map((s) => [s.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const setup of setups) {
      const requests = await signed(calls, `${round}_${setup.name.replace(/\W+/g, '')}`)
      const { archive, cleanup } = await setup.make()
      const us = await once(archive, requests, 2000)
      await cleanup()
      results.get(setup.name)!.push(us)
      process.stdout.write(`  round ${round + 1} ${setup.name}: ${us.toFixed(1)} µs main-thread CPU per handle()\n`)
    }
  }
  return results
}
