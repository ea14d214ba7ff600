/**
 * The receiver and its archive: one record per request that reaches it,
 * with the exact bytes, what was answered and why, the worker's progress,
 * counts by outcome and code — and replay of an archived delivery.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createReceiver,
  github,
  isHookguardError,
  memoryArchive,
  memoryQueue,
  slack,
  stripe,
  type DeliveryArchive,
  type Receiver,
  type WebhookEvent,
} from '../../src/index.js'
import { sqliteArchive } from '../../src/sqlite.js'
import { fixedClock, signRequest } from '../../src/testing.js'

const dir = mkdtempSync(join(tmpdir(), 'hookguard-archive-receiver-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SECRET = 'whsec_test_archive_receiver_0123456789'
const T0 = 1_700_000_000_000
let files = 0

const archives: Array<{
  name: string
  make(options?: { rejectedBodies?: boolean; maxBodyBytes?: number }): DeliveryArchive
}> = [
  { name: 'memoryArchive', make: (options) => memoryArchive({ max: 1000, ...options }) },
  { name: 'sqliteArchive', make: (options) => sqliteArchive({ path: join(dir, `a${files++}.db`), ...options }) },
]

function stripeBody(id: string, type = 'invoice.paid'): string {
  return JSON.stringify({ id, object: 'event', type, data: { object: { id: 'in_1' } } })
}

async function stripeRequest(provider: ReturnType<typeof stripe>, body: string, timestamp = T0 / 1000) {
  const signed = await signRequest(provider, { body, timestamp })
  return {
    method: 'POST',
    url: 'https://hooks.example.com/webhooks/stripe?x=1',
    headers: signed.headers,
    body: Buffer.from(body),
  }
}

for (const { name, make } of archives) {
  describe(`receiver + ${name}`, () => {
    function setup(
      extra: Record<string, unknown> = {},
      archiveOptions?: { rejectedBodies?: boolean; maxBodyBytes?: number },
    ) {
      const clock = fixedClock(T0)
      const provider = stripe({ secret: SECRET })
      const archive = make(archiveOptions)
      const queue = memoryQueue({ attempts: 2, backoffMs: 1, maxBackoffMs: 2, logger: false })
      const receiver = createReceiver({ provider, archive, queue, now: clock, logger: false, ...extra })
      return { clock, provider, archive, queue, receiver }
    }

    it('keeps one record per request: accepted, duplicate, rejected with code and reason, unavailable', async () => {
      const { provider, archive, receiver } = setup({ handler: () => {} })
      const ok = await stripeRequest(provider, stripeBody('evt_1'))
      expect((await receiver.handle(ok)).status).toBe(200)
      expect((await receiver.handle(ok)).status).toBe(200)
      const forged = { ...ok, body: Buffer.from(stripeBody('evt_forged')) }
      expect((await receiver.handle(forged)).status).toBe(401)
      expect((await receiver.handle({ ...ok, method: 'GET' })).status).toBe(405)
      await receiver.flushArchive()
      const { items } = await archive.list()
      expect(items.map((item) => item.outcome)).toEqual(['rejected', 'rejected', 'duplicate', 'accepted'])
      const [get, bad, dup, accepted] = items
      expect(accepted).toMatchObject({
        provider: 'stripe',
        receiver: 'default',
        method: 'POST',
        path: '/webhooks/stripe?x=1',
        status: 200,
        eventId: 'evt_1',
        key: 'stripe:default:evt_1',
        type: 'invoice.paid',
        bodySize: ok.body.length,
        truncated: false,
        receivedAt: T0,
      })
      expect(accepted!.headers['stripe-signature']).toBe('[redacted]')
      expect(dup).toMatchObject({ outcome: 'duplicate', eventId: 'evt_1' })
      expect(bad).toMatchObject({ status: 401, code: 'signature.invalid', reason: expect.any(String) })
      expect(get).toMatchObject({ status: 405, code: 'method.not_allowed' })
      const full = await archive.get(accepted!.deliveryId)
      expect(Buffer.from(full!.body!).equals(ok.body)).toBe(true)
      // Bodies of rejected requests are attacker-controlled: not kept by default.
      expect((await archive.get(bad!.deliveryId))!.body).toBeUndefined()
      expect(JSON.stringify(items)).not.toContain(ok.headers['stripe-signature'])
      const stats = await archive.stats()
      expect(stats.total).toBe(4)
      expect(stats.byOutcome).toMatchObject({ accepted: 1, duplicate: 1, rejected: 2 })
      expect(stats.byCode).toMatchObject({ 'signature.invalid': 1, 'method.not_allowed': 1 })
      await receiver.close()
    })

    it('keeps rejected bodies when asked, and cuts long bodies with a truncated flag', async () => {
      const { provider, archive, receiver } = setup({}, { rejectedBodies: true, maxBodyBytes: 64 })
      const body = stripeBody('evt_long', 'x'.repeat(200))
      const ok = await stripeRequest(provider, body)
      await receiver.handle(ok)
      await receiver.handle({ ...ok, headers: { ...ok.headers, 'stripe-signature': 't=1,v1=00' } })
      await receiver.flushArchive()
      const { items } = await archive.list()
      const rejected = await archive.get(items[0]!.deliveryId)
      const accepted = await archive.get(items[1]!.deliveryId)
      expect(accepted).toMatchObject({ truncated: true, bodySize: body.length })
      expect(Buffer.from(accepted!.body!).equals(Buffer.from(body).subarray(0, 64))).toBe(true)
      expect(rejected!.body).toBeDefined()
      await receiver.close()
    })

    it('records the exact bytes of form-encoded deliveries and handshakes', async () => {
      const secret = 'gh-archive-secret-0123'
      const provider = github({ secret })
      const archive = make()
      const receiver = createReceiver({ provider, archive, logger: false, handler: () => {} })
      const payload = encodeURIComponent(JSON.stringify({ zen: 'é ☃ +&=' }))
      const body = `payload=${payload}`
      const signed = await signRequest(provider, {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'ping' },
      })
      expect((await receiver.handle({ method: 'POST', headers: signed.headers, body })).status).toBe(200)
      const slackProvider = slack({ secret: 'slack-archive-signing-secret-01' })
      const slackReceiver = createReceiver({ provider: slackProvider, archive, logger: false })
      const challenge = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' })
      const slackSigned = await signRequest(slackProvider, { body: challenge })
      expect((await slackReceiver.handle({ method: 'POST', headers: slackSigned.headers, body: challenge })).body).toBe(
        'abc123',
      )
      await receiver.flushArchive()
      await slackReceiver.flushArchive()
      const { items } = await archive.list()
      expect(items.map((item) => item.outcome)).toEqual(['handshake', 'accepted'])
      const form = await archive.get(items[1]!.deliveryId)
      expect(Buffer.from(form!.body!).toString('latin1')).toBe(Buffer.from(body).toString('latin1'))
      expect(form!.headers['content-type']).toBe('application/x-www-form-urlencoded')
      await receiver.close()
      await slackReceiver.close()
    })

    it('follows the worker: attempts, last error, and handled or dead', async () => {
      let runs = 0
      const { provider, archive, queue, receiver } = setup({
        handler: async (event: WebhookEvent) => {
          runs++
          if (event.id === 'evt_dead' || (event.id === 'evt_flaky' && event.attempt === 1))
            throw new Error(`boom ${event.id}`)
        },
      })
      await receiver.handle(await stripeRequest(provider, stripeBody('evt_flaky')))
      await receiver.handle(await stripeRequest(provider, stripeBody('evt_dead')))
      await queue.idle()
      await receiver.flushArchive()
      const flaky = (await archive.list({ eventId: 'evt_flaky' })).items[0]
      const dead = (await archive.list({ eventId: 'evt_dead' })).items[0]
      expect(flaky).toMatchObject({
        state: 'handled',
        attempts: 2,
        lastError: expect.stringContaining('boom evt_flaky'),
      })
      expect(dead).toMatchObject({ state: 'dead', attempts: 2, lastError: expect.stringContaining('boom evt_dead') })
      expect((await archive.stats()).byState).toMatchObject({ handled: 1, dead: 1 })
      expect(runs).toBe(4)
      await receiver.close()
    })

    describe('replay', () => {
      async function deadDelivery(
        receiver: Receiver,
        provider: ReturnType<typeof stripe>,
        archive: DeliveryArchive,
        id: string,
      ) {
        await receiver.handle(await stripeRequest(provider, stripeBody(id)))
        await receiver.flushArchive()
        return (await archive.list({ eventId: id })).items[0]!.deliveryId
      }

      it('re-verifies a 3-day-old delivery at its recorded clock and runs it again, past the dedupe state', async () => {
        const seen: Array<{ id: string; key: string; replayOf?: string }> = []
        const { clock, provider, archive, queue, receiver } = setup({
          handler: (event: WebhookEvent) =>
            void seen.push({ id: event.id, key: event.key, replayOf: event.meta?.replayOf }),
        })
        const original = await deadDelivery(receiver, provider, archive, 'evt_replay')
        clock.advance(3 * 24 * 3600 * 1000)
        const result = await receiver.replay(original)
        expect(result).toMatchObject({ replayOf: original, eventId: 'evt_replay', verified: true })
        await queue.idle()
        expect(seen.map((s) => s.id)).toEqual(['evt_replay', 'evt_replay'])
        expect(seen[1]).toMatchObject({
          key: `stripe:default:evt_replay#replay:${result.deliveryId}`,
          replayOf: original,
        })
        await receiver.flushArchive()
        const record = await archive.get(result.deliveryId)
        expect(record).toMatchObject({
          outcome: 'accepted',
          replayOf: original,
          verified: true,
          state: 'handled',
          eventId: 'evt_replay',
        })
        expect(record!.receivedAt).toBe(T0 + 3 * 24 * 3600 * 1000)
        // A provider re-send of the original is still a duplicate: replay does not touch the dedupe state.
        const resent = await stripeRequest(provider, stripeBody('evt_replay'), Math.floor(clock() / 1000))
        expect((await receiver.handle(resent)).outcome.kind).toBe('duplicate')
        await receiver.close()
      })

      it('refuses unknown ids, deliveries rejected for their signature, and ones that no longer verify', async () => {
        const { provider, archive, receiver } = setup({ handler: () => {} })
        const refusal = async (id: string) => {
          try {
            await receiver.replay(id)
          } catch (error) {
            return isHookguardError(error) ? `${error.code}: ${error.reason}` : String(error)
          }
          return 'replayed'
        }
        expect(await refusal('0000000000000000000000000Z')).toMatch(/^delivery.not_found/)
        const ok = await stripeRequest(provider, stripeBody('evt_forged'))
        await receiver.handle({ ...ok, body: Buffer.from(stripeBody('evt_other')) })
        await receiver.flushArchive()
        const forged = (await archive.list({ outcome: 'rejected' })).items[0]!.deliveryId
        expect(await refusal(forged)).toMatch(/^delivery.not_replayable: .*rejected for its signature/)
        // Secrets rotated since: the archived bytes no longer verify.
        const original = await deadDelivery(receiver, provider, archive, 'evt_rotated')
        const rotated = createReceiver({
          provider: stripe({ secret: 'whsec_test_new_secret_after_rotation_01' }),
          archive,
          logger: false,
          handler: () => {},
        })
        await expect(rotated.replay(original)).rejects.toMatchObject({
          code: 'delivery.not_replayable',
          reason: expect.stringMatching(/no longer verifies/),
        })
        // Unless verification is skipped on purpose, which the new record says.
        const skipped = await rotated.replay(original, { verify: false })
        await rotated.flushArchive()
        expect(await archive.get(skipped.deliveryId)).toMatchObject({ verified: false, replayOf: original })
        await receiver.close()
        await rotated.close()
      })
    })
  })
}

describe('archiving never costs a sender a correct answer', () => {
  it('a failing archive still lets deliveries through; drops are counted and logged', async () => {
    const lines: string[] = []
    const archive = memoryArchive({ max: 10 })
    const broken: DeliveryArchive = {
      ...archive,
      policy: archive.policy,
      write: async () => Promise.reject(new Error('disk full')),
    }
    const provider = stripe({ secret: SECRET })
    const receiver = createReceiver({
      provider,
      archive: broken,
      handler: () => {},
      logger: {
        warn: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
        error: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
      },
    })
    for (let i = 0; i < 5; i++)
      expect(
        (await receiver.handle(await stripeRequest(provider, stripeBody(`evt_${i}`), Math.floor(Date.now() / 1000))))
          .status,
      ).toBe(200)
    await receiver.flushArchive()
    expect(lines.join('\n')).toMatch(/archive/i)
    expect(lines.join('\n')).not.toContain('whsec_')
    await receiver.close()
  })
})
