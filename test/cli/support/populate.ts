/**
 * Fills an archive the way production does: a real Stripe receiver with a
 * durable queue and a worker, fed signed (and some forged or hostile)
 * requests. Two events fail in the handler on every attempt, so the queue
 * has dead letters. Resolves once the worker has settled everything and
 * the archive holds every record and every progress update.
 */
import {
  createReceiver,
  stripe,
  type DeliveryArchive,
  type WebhookEvent,
  type WebhookQueue,
} from '../../../src/index.js'
import { fixedClock, signRequest } from '../../../src/testing.js'

export const SECRET = 'whsec_cli_archive_0123456789abcdef'
/** Type of the hostile event: an OSC escape that would retitle a terminal, then a right-to-left override. */
export const HOSTILE_TYPE = '\u001b]0;pwned\u0007\u202eevil.type'

export interface Populated {
  /** Delivery ids by name: a, b, dup, forged, get, fail1, fail2, hostile. */
  ids: Record<string, string>
  /** Every stripe-signature value sent: none may ever be printed. */
  signatures: string[]
  handled: WebhookEvent[]
  /** The clock's time after the last delivery, ms. */
  end: number
}

function body(id: string, type: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, object: 'event', type, data: { object: { id: `pi_${id}`, ...extra } } })
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export async function populate(
  archive: DeliveryArchive,
  queue: WebhookQueue,
  start = Date.now() - 120_000,
): Promise<Populated> {
  const clock = fixedClock(start)
  const provider = stripe({ secret: SECRET })
  const handled: WebhookEvent[] = []
  const receiver = createReceiver({
    provider,
    archive,
    queue,
    logger: false,
    now: clock,
    handler: (event) => {
      if (event.type === 'invoice.payment_failed') throw new Error('card declined')
      handled.push(event)
    },
  })
  const signatures: string[] = []
  const url = 'https://hooks.example.com/webhooks/stripe'
  async function deliver(text: string | Uint8Array, options: { method?: string; forge?: boolean } = {}) {
    clock.advance(1000)
    const signed = await signRequest(provider, { body: options.forge ? 'something else' : text, now: clock })
    signatures.push(signed.headers['stripe-signature']!)
    return receiver.handle({ method: options.method ?? 'POST', url, headers: signed.headers, body: text })
  }
  const statuses = [
    await deliver(body('evt_a', 'payment_intent.succeeded')),
    await deliver(body('evt_b', 'invoice.paid')),
    await deliver(body('evt_a', 'payment_intent.succeeded')),
    await deliver(new Uint8Array([0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x41]), { forge: true }),
    await deliver(body('evt_get', 'ping'), { method: 'GET' }),
    await deliver(body('evt_fail1', 'invoice.payment_failed')),
    await deliver(body('evt_fail2', 'invoice.payment_failed')),
    await deliver(body('evt_hostile', HOSTILE_TYPE, { note: '<script>alert(1)</script> \u202e gnp.exe' })),
  ].map((result) => result.status)
  if (statuses.join() !== '200,200,200,401,405,200,200,200') throw new Error(`unexpected statuses ${statuses.join()}`)
  await until(async () => handled.length === 3 && (await queue.stats!()).dead === 2, 'the worker')
  await receiver.close()
  let page = await archive.list({ limit: 100 })
  await until(async () => {
    page = await archive.list({ limit: 100 })
    return page.items.filter((item) => item.state === 'handled' || item.state === 'dead').length === 5
  }, 'worker progress in the archive')
  const ids: Record<string, string> = {}
  const names = ['hostile', 'fail2', 'fail1', 'get', 'forged', 'dup', 'b', 'a']
  page.items.forEach((item, index) => (ids[names[index]!] = item.deliveryId))
  return { ids, signatures, handled, end: clock() }
}
