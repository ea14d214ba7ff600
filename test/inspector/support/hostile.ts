/**
 * Deliveries crafted to break a page that shows them: markup and script in
 * every field a sender controls, attribute breakouts, `</script>` inside
 * JSON, `javascript:` URLs in headers, bidi overrides and line separators,
 * a binary body and a body far larger than the page shows. They go through
 * a real Stripe receiver into the archive, as an attacker's requests would.
 */
import { createReceiver, memoryQueue, stripe, type DeliveryArchive, type Receiver } from '../../../src/index.js'
import { fixedClock, signRequest } from '../../../src/testing.js'

export const SECRET = 'whsec_inspector_test_0123456789abcdef'
export const PWN = 'window.__pwned=1'

export const HOSTILE = {
  id: `evt_"><img src=x onerror="${PWN}">`,
  type: `<script>${PWN}</script>`,
  note: `</script><script>${PWN}</script><!--`,
  attr: `' onmouseover='${PWN}' x='`,
  bidi: 'invoice\u202egpj.exe',
  separators: 'line\u2028para\u2029end',
  link: `javascript:${PWN}`,
}

export interface HostileArchive {
  receiver: Receiver
  ids: { hostile: string; plain: string; forged: string; huge: string; binary: string }
  hugeBody: Buffer
}

function event(id: string, type: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, object: 'event', type, data: { object: { id: 'pi_1', ...extra } } })
}

/**
 * Fills `archive` (give it rejectedBodies: true and maxBodyBytes ≥ 2 MiB)
 * through a receiver it keeps open for replays, one delivery a second from `at`.
 */
export async function hostileArchive(archive: DeliveryArchive, at = Date.now()): Promise<HostileArchive> {
  const provider = stripe({ secret: SECRET })
  const now = fixedClock(at)
  const receiver = createReceiver({
    provider,
    archive,
    queue: memoryQueue(),
    logger: false,
    maxBodyBytes: 4 * 1024 * 1024,
    now,
  })
  const url = 'https://hooks.example.com/webhooks/stripe'
  async function deliver(body: string | Buffer, headers: Record<string, string> = {}, forge = false) {
    now.advance(1000)
    const signed = await signRequest(provider, { body: forge ? 'other bytes' : body, now })
    return receiver.handle({ method: 'POST', url, headers: { ...signed.headers, ...headers }, body })
  }
  const plain = await deliver(event('evt_plain', 'invoice.paid'))
  const hostile = await deliver(
    event(HOSTILE.id, HOSTILE.type, {
      note: HOSTILE.note,
      attr: HOSTILE.attr,
      bidi: HOSTILE.bidi,
      separators: HOSTILE.separators,
    }),
    {
      'x-evil-link': HOSTILE.link,
      'x-evil-attr': `"><svg onload="${PWN}">`,
      'x-evil-bidi': HOSTILE.bidi,
      authorization: 'Bearer sk_live_must_never_show',
    },
  )
  const forged = await deliver(event('evt_forged', HOSTILE.type), { 'x-evil-link': HOSTILE.link }, true)
  const hugeBody = Buffer.from(event('evt_huge', 'huge.event', { blob: 'A<'.repeat(700_000) }))
  const huge = await deliver(hugeBody)
  const binary = await deliver(
    Buffer.from([0x3c, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x3e, 0xff, 0x00, 0x1b, 0xfe]),
    {},
    true,
  )
  const statuses = [plain, hostile, forged, huge, binary].map((result) => result.status)
  if (statuses.join() !== '200,200,401,200,401') throw new Error(`unexpected statuses ${statuses.join()}`)
  await receiver.flushArchive()
  const { items } = await archive.list({ limit: 10 })
  const [binaryItem, hugeItem, forgedItem, hostileItem, plainItem] = items
  return {
    receiver,
    hugeBody,
    ids: {
      plain: plainItem!.deliveryId,
      hostile: hostileItem!.deliveryId,
      forged: forgedItem!.deliveryId,
      huge: hugeItem!.deliveryId,
      binary: binaryItem!.deliveryId,
    },
  }
}
