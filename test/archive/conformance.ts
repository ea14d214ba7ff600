/**
 * The DeliveryArchive conformance suite. Every built-in archive runs it, and
 * so can yours:
 *
 * ```ts
 * import { describeArchiveConformance } from 'hookguard/test/archive/conformance'
 * describeArchiveConformance('my archive', { make: (policy) => myArchive(policy) })
 * ```
 */
import { describe, expect, it } from 'vitest'
import type {
  ArchiveQuery,
  ArchiveStats,
  DeliveryArchive,
  DeliveryRecord,
  DeliverySummary,
} from '../../src/types/index.js'
import { deliveryIdGenerator } from '../../src/internal/delivery-id.js'

/** Policy options and clock every archive factory takes. */
export interface ArchiveMakeOptions {
  maxBodyBytes?: number
  rejectedBodies?: boolean
  retentionMs?: number
  now?: () => number
}

export interface ArchiveConformanceOptions {
  /** A fresh, empty archive (its own table / file) with these options. */
  make(options: ArchiveMakeOptions): DeliveryArchive | Promise<DeliveryArchive>
  /** Closes what make opened. */
  destroy?(archive: DeliveryArchive): Promise<void> | void
}

const DAY = 86_400_000
const T0 = Date.UTC(2025, 2, 3, 10, 20, 30, 456)

let seq = 0
const newId = deliveryIdGenerator()

/** A complete accepted record; `extra` overrides. */
export function sampleRecord(extra: Partial<DeliveryRecord> = {}): DeliveryRecord {
  const receivedAt = extra.receivedAt ?? T0 + seq
  const n = seq++
  const body = new TextEncoder().encode(JSON.stringify({ id: `evt_${n}`, type: 'invoice.paid' }))
  return {
    deliveryId: newId(receivedAt),
    receivedAt,
    receiver: 'default',
    provider: 'stripe',
    method: 'POST',
    path: '/webhooks/stripe?x=1',
    headers: { 'content-type': 'application/json', 'stripe-signature': '[redacted]', 'user-agent': 'Stripe/1.0' },
    body,
    bodySize: body.length,
    truncated: false,
    status: 200,
    outcome: 'accepted',
    durationMs: 1.25,
    eventId: `evt_${n}`,
    key: `stripe:default:evt_${n}`,
    type: 'invoice.paid',
    state: 'pending',
    attempts: 0,
    ...extra,
  }
}

/** A rejected record (no event id, type or state). */
export function rejectedRecord(extra: Partial<DeliveryRecord> = {}): DeliveryRecord {
  const { eventId: _e, key: _k, type: _t, state: _s, attempts: _a, ...base } = sampleRecord()
  return {
    ...base,
    status: 401,
    outcome: 'rejected',
    code: 'signature.invalid',
    reason: 'no signature matched',
    ...extra,
  }
}

/** What list() returns of a record: no body, no sealed signature headers. */
function summaryOf(record: DeliveryRecord): DeliverySummary {
  const { body: _body, sealedHeaders: _sealed, ...summary } = record
  return summary
}

/** Newest first, as list() orders. */
function newestFirst(records: DeliveryRecord[]): DeliveryRecord[] {
  return [...records].sort((a, b) =>
    a.receivedAt !== b.receivedAt ? b.receivedAt - a.receivedAt : a.deliveryId < b.deliveryId ? 1 : -1,
  )
}

function expectedStats(records: DeliveryRecord[], since = -Infinity, until = Infinity): ArchiveStats {
  const stats: ArchiveStats = { total: 0, byOutcome: {}, byCode: {}, byProvider: {}, byType: {}, byState: {} }
  const bump = (map: Record<string, number>, key: string | undefined) => {
    if (key !== undefined) map[key] = (map[key] ?? 0) + 1
  }
  for (const r of records) {
    if (r.receivedAt < since || r.receivedAt >= until) continue
    stats.total++
    bump(stats.byOutcome, r.outcome)
    bump(stats.byCode, r.code)
    bump(stats.byProvider, r.provider)
    bump(stats.byType, r.type)
    bump(stats.byState, r.state)
  }
  return stats
}

async function listAll(archive: DeliveryArchive, query: ArchiveQuery): Promise<DeliverySummary[]> {
  const items: DeliverySummary[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await archive.list({ ...query, ...(cursor ? { cursor } : {}) })
    expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 50)
    items.push(...page.items)
    if (!page.cursor) return items
    expect(page.items.length).toBe(query.limit ?? 50)
    cursor = page.cursor
  }
  throw new Error('more than 10 000 pages')
}

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

export function describeArchiveConformance(title: string, options: ArchiveConformanceOptions): void {
  describe(`DeliveryArchive conformance: ${title}`, () => {
    async function withArchive(fn: (archive: DeliveryArchive) => Promise<void>, make: ArchiveMakeOptions = {}) {
      const archive = await options.make(make)
      try {
        await fn(archive)
      } finally {
        await options.destroy?.(archive)
      }
    }

    describeRoundTrip(withArchive)
    describePolicy(withArchive)
    describeList(withArchive)
    describeStats(withArchive)
    describeProgress(withArchive)
    describePurge(withArchive)
  })
}

type WithArchive = (fn: (archive: DeliveryArchive) => Promise<void>, make?: ArchiveMakeOptions) => Promise<void>

function describeRoundTrip(withArchive: WithArchive): void {
  it('get() returns every field of a written record, with a binary body byte for byte', () =>
    withArchive(async (archive) => {
      const body = new Uint8Array(512)
      for (let i = 0; i < body.length; i++) body[i] = (i * 37 + 11) & 255 // every byte value, NULs included
      const record = sampleRecord({
        body,
        bodySize: body.length,
        headers: {
          'content-type': 'application/octet-stream',
          'x-naïve': 'ünïcode ✓',
          empty: '',
          'stripe-signature': '[redacted]',
        },
        sealedHeaders: { 'stripe-signature': 't=1700000000,v1=abc"def\\' },
        replayOf: newId(T0 - 1),
        verified: false,
        lastError: 'Error: boom',
        updatedAt: T0 + 5,
        durationMs: 0.5,
      })
      await archive.write([record])
      const got = await archive.get(record.deliveryId)
      expect(got?.body).toBeInstanceOf(Uint8Array)
      expect(Array.from(got!.body!)).toEqual(Array.from(body))
      expect({ ...got, body: undefined }).toEqual({ ...record, body: undefined })
      const [listed] = (await archive.list()).items
      expect(listed).toEqual(summaryOf(record))
      expect(listed).not.toHaveProperty('sealedHeaders')
    }))

  it('keeps a form body byte-exact (+, %-escapes, raw UTF-8, CRLF) and an empty body as empty', () =>
    withArchive(async (archive) => {
      const form = new TextEncoder().encode('a=1+2&b=%2B%26%3D&c=caf\u00e9&d=line1%0D%0Aline2&e=\r\n&e=')
      const formRecord = sampleRecord({
        body: form,
        bodySize: form.length,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      const empty = sampleRecord({ body: new Uint8Array(0), bodySize: 0 })
      const none = sampleRecord({ body: undefined, bodySize: 0 })
      await archive.write([formRecord, empty, none])
      expect(Array.from((await archive.get(formRecord.deliveryId))!.body!)).toEqual(Array.from(form))
      expect((await archive.get(empty.deliveryId))!.body).toEqual(new Uint8Array(0))
      expect((await archive.get(none.deliveryId))!.body).toBeUndefined()
    }))

  it('owns its bytes: changing the written or returned body changes nothing stored', () =>
    withArchive(async (archive) => {
      const body = new Uint8Array([1, 2, 3, 4])
      const record = sampleRecord({ body, bodySize: 4 })
      await archive.write([record])
      body[0] = 99
      const first = await archive.get(record.deliveryId)
      first!.body![1] = 98
      expect(Array.from((await archive.get(record.deliveryId))!.body!)).toEqual([1, 2, 3, 4])
    }))

  it('get() of an unknown id is undefined', () =>
    withArchive(async (archive) => {
      await archive.write([sampleRecord()])
      expect(await archive.get(newId(T0))).toBeUndefined()
      expect(await archive.get('nope')).toBeUndefined()
    }))

  it('write() is idempotent by deliveryId: the first copy stays, across and within batches', () =>
    withArchive(async (archive) => {
      const record = sampleRecord()
      await archive.write([record])
      await archive.write([{ ...record, status: 500, outcome: 'unavailable', code: 'queue.unavailable' }])
      const twin = sampleRecord()
      await archive.write([twin, { ...twin, path: '/other' }, twin])
      expect((await archive.get(record.deliveryId))!.status).toBe(200)
      expect((await archive.get(twin.deliveryId))!.path).toBe(twin.path)
      expect((await archive.list()).items).toHaveLength(2)
      expect((await archive.stats()).total).toBe(2)
      expect((await archive.stats()).byOutcome).toEqual({ accepted: 2 })
    }))

  it('refuses a batch holding an invalid record with a TypeError, and writes none of it', () =>
    withArchive(async (archive) => {
      const good = sampleRecord()
      const bad: unknown[] = [
        { ...sampleRecord(), deliveryId: '' },
        { ...sampleRecord(), deliveryId: 'has space' },
        { ...sampleRecord(), receivedAt: -1 },
        { ...sampleRecord(), body: 'text' },
        { ...sampleRecord(), bodySize: 1 },
        { ...sampleRecord(), headers: { a: 1 } },
        { ...sampleRecord(), state: 'finished' },
        { ...sampleRecord(), status: 42 },
        { ...sampleRecord(), outcome: 'Accepted!' },
        null,
      ]
      for (const record of bad) await expect(archive.write([good, record as DeliveryRecord])).rejects.toThrow(TypeError)
      expect(await archive.get(good.deliveryId)).toBeUndefined()
      await expect(archive.write('nope' as never)).rejects.toThrow(TypeError)
    }))
}

function describePolicy(withArchive: WithArchive): void {
  it('has the default policy, frozen: 256 KiB bodies, no rejected bodies, 30 days', () =>
    withArchive(async (archive) => {
      expect(archive.policy).toEqual({ maxBodyBytes: 256 * 1024, rejectedBodies: false, retentionMs: 30 * DAY })
      expect(() => {
        ;(archive.policy as { maxBodyBytes: number }).maxBodyBytes = 1
      }).toThrow(TypeError)
      expect(archive.policy.maxBodyBytes).toBe(256 * 1024)
    }))

  it('cuts bodies to maxBodyBytes and flags them truncated, keeping the full bodySize', () =>
    withArchive(
      async (archive) => {
        const long = new Uint8Array(40).map((_, i) => i + 1)
        const exact = new Uint8Array(16).map((_, i) => 200 + i)
        const cut = sampleRecord({ body: long, bodySize: 40 })
        const fits = sampleRecord({ body: exact, bodySize: 16 })
        await archive.write([cut, fits])
        const gotCut = (await archive.get(cut.deliveryId))!
        expect(Array.from(gotCut.body!)).toEqual(Array.from(long.subarray(0, 16)))
        expect(gotCut).toMatchObject({ truncated: true, bodySize: 40 })
        const gotFits = (await archive.get(fits.deliveryId))!
        expect(Array.from(gotFits.body!)).toEqual(Array.from(exact))
        expect(gotFits.truncated).toBe(false)
        expect((await archive.list()).items.find((i) => i.deliveryId === cut.deliveryId)).toMatchObject({
          truncated: true,
          bodySize: 40,
        })
      },
      { maxBodyBytes: 16 },
    ))

  it('drops the bodies of rejected and unavailable requests by default, keeping their size', () =>
    withArchive(async (archive) => {
      const body = new TextEncoder().encode('{"attacker":"bytes"}')
      const rejected = rejectedRecord({ body, bodySize: body.length })
      const unavailable = sampleRecord({
        body,
        bodySize: body.length,
        outcome: 'unavailable',
        status: 503,
        code: 'store.unavailable',
      })
      const duplicate = sampleRecord({ body, bodySize: body.length, outcome: 'duplicate' })
      await archive.write([rejected, unavailable, duplicate])
      for (const r of [rejected, unavailable]) {
        const got = (await archive.get(r.deliveryId))!
        expect(got.body).toBeUndefined()
        expect(got).toMatchObject({ bodySize: body.length, truncated: false })
      }
      expect(Array.from((await archive.get(duplicate.deliveryId))!.body!)).toEqual(Array.from(body))
    }))

  it('keeps rejected bodies with rejectedBodies: true', () =>
    withArchive(
      async (archive) => {
        const body = new TextEncoder().encode('{"attacker":"bytes"}')
        const rejected = rejectedRecord({ body, bodySize: body.length })
        await archive.write([rejected])
        expect(archive.policy.rejectedBodies).toBe(true)
        expect(Array.from((await archive.get(rejected.deliveryId))!.body!)).toEqual(Array.from(body))
      },
      { rejectedBodies: true },
    ))
}

/** 120 records over 3 days: several per ms, every outcome, two providers, with and without type/code/event. */
function listDataset(): DeliveryRecord[] {
  const next = random(7)
  const records: DeliveryRecord[] = []
  for (let i = 0; i < 120; i++) {
    const receivedAt = T0 + Math.floor(i / 4) * 3_600_000 + (i % 2) // pairs share a ms
    const provider = i % 3 === 0 ? 'github' : 'stripe'
    const pick = Math.floor(next() * 5)
    if (pick === 0)
      records.push(
        rejectedRecord({ receivedAt, provider, code: i % 2 ? 'signature.invalid' : 'timestamp.out_of_range' }),
      )
    else if (pick === 1)
      records.push(sampleRecord({ receivedAt, provider, outcome: 'duplicate', state: undefined, attempts: undefined }))
    else records.push(sampleRecord({ receivedAt, provider, type: pick === 2 ? 'push' : 'invoice.paid' }))
  }
  return records
}

function describeList(withArchive: WithArchive): void {
  it('lists newest first, without bodies, 50 by default, with a cursor only when more remain', () =>
    withArchive(async (archive) => {
      const records = listDataset()
      await archive.write(records)
      const page = await archive.list()
      expect(page.items).toEqual(newestFirst(records).slice(0, 50).map(summaryOf))
      expect(page.items.every((item) => !('body' in item) || item.body === undefined)).toBe(true)
      expect(page.cursor).toEqual(expect.any(String))
      const all = await archive.list({ limit: 1000 })
      expect(all.items).toHaveLength(120)
      expect(all.cursor).toBeUndefined()
      const exact = await archive.list({ limit: 120 })
      expect(exact.cursor).toBeUndefined()
    }))

  it('filters by outcome, provider, type, code, eventId and time, alone and combined', () =>
    withArchive(async (archive) => {
      const records = listDataset()
      await archive.write(records)
      const mid = records[60]!.receivedAt
      const queries: ArchiveQuery[] = [
        { outcome: 'rejected' },
        { outcome: 'accepted' },
        { outcome: 'in_flight' },
        { provider: 'github' },
        { type: 'push' },
        { code: 'signature.invalid' },
        { eventId: records[10]!.eventId ?? records[11]!.eventId! },
        { since: mid },
        { until: mid },
        { since: records[20]!.receivedAt, until: records[40]!.receivedAt },
        { since: mid, until: mid },
        { outcome: 'rejected', provider: 'github' },
        { outcome: 'accepted', type: 'invoice.paid', provider: 'stripe', since: records[30]!.receivedAt },
        { code: 'timestamp.out_of_range', until: mid },
        { provider: 'nobody' },
      ]
      for (const query of queries) {
        const wanted = newestFirst(
          records.filter(
            (r) =>
              (query.outcome === undefined || r.outcome === query.outcome) &&
              (query.provider === undefined || r.provider === query.provider) &&
              (query.type === undefined || r.type === query.type) &&
              (query.code === undefined || r.code === query.code) &&
              (query.eventId === undefined || r.eventId === query.eventId) &&
              (query.since === undefined || r.receivedAt >= query.since) &&
              (query.until === undefined || r.receivedAt < query.until),
          ),
        ).map(summaryOf)
        const got = await archive.list({ ...query, limit: 1000 })
        expect(got.items, JSON.stringify(query)).toEqual(wanted)
      }
    }))

  it('pages through many records sharing milliseconds without gaps or repeats, with and without filters', () =>
    withArchive(async (archive) => {
      const records: DeliveryRecord[] = []
      for (let i = 0; i < 400; i++) {
        const receivedAt = T0 + Math.floor(i / 10) // ten per ms
        records.push(i % 4 === 0 ? rejectedRecord({ receivedAt }) : sampleRecord({ receivedAt }))
      }
      // Written out of order, in several batches, as concurrent requests finish.
      const shuffled = [...records].sort((a, b) => (a.deliveryId.slice(-3) < b.deliveryId.slice(-3) ? -1 : 1))
      for (let i = 0; i < shuffled.length; i += 37) await archive.write(shuffled.slice(i, i + 37))
      const all = await listAll(archive, { limit: 7 })
      expect(all.map((i) => i.deliveryId)).toEqual(newestFirst(records).map((r) => r.deliveryId))
      const rejected = await listAll(archive, { outcome: 'rejected', limit: 9 })
      expect(rejected.map((i) => i.deliveryId)).toEqual(
        newestFirst(records.filter((r) => r.outcome === 'rejected')).map((r) => r.deliveryId),
      )
      const window = await listAll(archive, { since: T0 + 5, until: T0 + 30, limit: 1 })
      expect(window).toHaveLength(250)
    }))

  it('keeps its place when newer records arrive between pages', () =>
    withArchive(async (archive) => {
      const records = Array.from({ length: 30 }, (_, i) => sampleRecord({ receivedAt: T0 + i }))
      await archive.write(records)
      const first = await archive.list({ limit: 10 })
      await archive.write([sampleRecord({ receivedAt: T0 + 1000 }), sampleRecord({ receivedAt: T0 + 15 })])
      const second = await archive.list({ limit: 10, cursor: first.cursor! })
      const boundary = first.items.at(-1)!
      expect(second.items[0]!.receivedAt).toBeLessThanOrEqual(boundary.receivedAt)
      expect(second.items.map((i) => i.deliveryId)).not.toContain(boundary.deliveryId)
      expect(new Set([...first.items, ...second.items].map((i) => i.deliveryId)).size).toBe(20)
    }))

  it('refuses bad queries and forged cursors with TypeError/RangeError', () =>
    withArchive(async (archive) => {
      await archive.write(Array.from({ length: 5 }, () => sampleRecord()))
      const { cursor } = await archive.list({ limit: 2 })
      expect(cursor).toEqual(expect.any(String))
      const b64 = (text: string) => btoa(text).replace(/=+$/, '')
      // A cursor names a position; these are not positions this archive could have returned.
      const forged = [
        'abc',
        '',
        `${cursor}!`,
        `${cursor}=`,
        `${cursor!.slice(0, 4)}.${cursor!.slice(4)}`,
        b64('1.12'),
        b64('1.12.'),
        b64('1.012.ABC'),
        b64('1.12.ABC\n'),
        b64('1.12.x y'),
        b64('2.12.ABC'),
        b64('1.-5.ABC'),
        b64('1.99999999999999999.ABC'),
        b64("1.12.A' OR 1=1 --"),
        'MS41LkF', // b64('1.5.A') is MS41LkE: same bytes, stray low bits set (not canonical)
        '\u0000\u0001',
      ]
      expect(b64('1.5.A')).toBe('MS41LkE')
      await archive.list({ cursor: 'MS41LkE' }) // the canonical one is a valid (empty) position
      for (const bad of forged) await expect(archive.list({ cursor: bad }), bad).rejects.toThrow(TypeError)
      await expect(archive.list({ cursor: 42 as never })).rejects.toThrow(TypeError)
      await expect(archive.list({ limit: 0 })).rejects.toThrow(RangeError)
      await expect(archive.list({ limit: 1001 })).rejects.toThrow(RangeError)
      await expect(archive.list({ limit: 2.5 })).rejects.toThrow(TypeError)
      await expect(archive.list({ limit: '5' as never })).rejects.toThrow(TypeError)
      await expect(archive.list({ since: 10, until: 5 })).rejects.toThrow(RangeError)
      await expect(archive.list({ since: -1 })).rejects.toThrow(RangeError)
      await expect(archive.list({ since: 1.5 })).rejects.toThrow(TypeError)
      await expect(archive.list({ outcome: 7 as never })).rejects.toThrow(TypeError)
      await expect(archive.list({ provider: '' })).rejects.toThrow(TypeError)
      await expect(archive.list({ status: 200 } as never)).rejects.toThrow(/unknown option "status"/)
      await expect(archive.stats({ since: 'yesterday' } as never)).rejects.toThrow(TypeError)
      await expect(archive.stats({ limit: 3 } as never)).rejects.toThrow(TypeError)
      expect((await archive.list({ limit: 1000 })).items).toHaveLength(5)
    }))
}

/** Records spread over 3 days at odd ms, so ranges cut days, hours and minutes. */
function statsDataset(): DeliveryRecord[] {
  const next = random(11)
  const states = ['pending', 'handled', 'dead', 'retrying'] as const
  const types = ['invoice.paid', 'push', 'charge.refunded']
  const codes = ['signature.invalid', 'timestamp.out_of_range', 'store.unavailable']
  const records: DeliveryRecord[] = []
  const start = Date.UTC(2025, 5, 1, 22, 0, 0, 0)
  for (let i = 0; i < 600; i++) {
    const receivedAt = start + Math.floor(next() * 3 * DAY)
    const provider = next() < 0.3 ? 'github' : 'stripe'
    const roll = next()
    if (roll < 0.2) records.push(rejectedRecord({ receivedAt, provider, code: codes[i % 3]! }))
    else if (roll < 0.3)
      records.push(
        sampleRecord({
          receivedAt,
          provider,
          outcome: 'duplicate',
          state: undefined,
          attempts: undefined,
          type: types[i % 3]!,
        }),
      )
    else records.push(sampleRecord({ receivedAt, provider, type: types[i % 3]!, state: states[i % 4]! }))
  }
  return records
}

function describeStats(withArchive: WithArchive): void {
  it('counts by outcome, code, provider, type and state over any range, to the millisecond', () =>
    withArchive(async (archive) => {
      const records = statsDataset()
      for (let i = 0; i < records.length; i += 100) await archive.write(records.slice(i, i + 100))
      expect(await archive.stats()).toEqual(expectedStats(records))
      const next = random(3)
      const start = Date.UTC(2025, 5, 1, 22, 0, 0, 0)
      const ranges: Array<{ since?: number; until?: number }> = [
        { since: start },
        { until: start + DAY },
        { since: Date.UTC(2025, 5, 2), until: Date.UTC(2025, 5, 3) }, // whole day
        { since: start + 3_600_000, until: start + 7_200_000 }, // whole hour
        { since: start + 60_000, until: start + 120_000 }, // whole minute
        { since: records[5]!.receivedAt, until: records[5]!.receivedAt + 1 }, // one ms
        { since: records[5]!.receivedAt + 1 },
        { until: records[5]!.receivedAt },
        { since: start, until: start },
      ]
      for (let i = 0; i < 40; i++) {
        const a = start + Math.floor(next() * 3 * DAY)
        const b = start + Math.floor(next() * 3 * DAY)
        ranges.push({ since: Math.min(a, b), until: Math.max(a, b) })
      }
      for (const range of ranges) {
        expect(await archive.stats(range), JSON.stringify(range)).toEqual(
          expectedStats(records, range.since, range.until),
        )
      }
    }))

  it('is all zeros on an empty archive', () =>
    withArchive(async (archive) => {
      expect(await archive.stats()).toEqual({
        total: 0,
        byOutcome: {},
        byCode: {},
        byProvider: {},
        byType: {},
        byState: {},
      })
    }))
}

function describeProgress(withArchive: WithArchive): void {
  it('applies worker progress by deliveryId and moves the record between states in stats', () =>
    withArchive(async (archive) => {
      const a = sampleRecord()
      const b = sampleRecord()
      const rejected = rejectedRecord()
      await archive.write([a, b, rejected])
      expect((await archive.stats()).byState).toEqual({ pending: 2 })
      await archive.progress([
        { deliveryId: a.deliveryId, state: 'retrying', attempts: 1, lastError: 'Error: db down', at: T0 + 10 },
        { deliveryId: a.deliveryId, state: 'handled', attempts: 2, at: T0 + 20 },
        { deliveryId: b.deliveryId, state: 'dead', attempts: 5, lastError: 'Error: nope', at: T0 + 30 },
        { deliveryId: newId(T0), state: 'handled', attempts: 1, at: T0 + 40 }, // unknown: ignored
      ])
      expect(await archive.get(a.deliveryId)).toMatchObject({
        state: 'handled',
        attempts: 2,
        lastError: 'Error: db down',
        updatedAt: T0 + 20,
      })
      expect(await archive.get(b.deliveryId)).toMatchObject({
        state: 'dead',
        attempts: 5,
        lastError: 'Error: nope',
        updatedAt: T0 + 30,
      })
      const listed = (await archive.list()).items.find((i) => i.deliveryId === b.deliveryId)
      expect(listed).toMatchObject({ state: 'dead', attempts: 5 })
      const stats = await archive.stats()
      expect(stats.byState).toEqual({ handled: 1, dead: 1 })
      expect(stats.total).toBe(3)
      expect(await archive.stats({ since: a.receivedAt, until: a.receivedAt + 1 })).toMatchObject({
        byState: { handled: 1 },
      })
    }))

  it('ignores an update older than the last one applied, in a later call', () =>
    withArchive(async (archive) => {
      const a = sampleRecord()
      await archive.write([a])
      await archive.progress([{ deliveryId: a.deliveryId, state: 'handled', attempts: 1, at: T0 + 50 }])
      await archive.progress([
        { deliveryId: a.deliveryId, state: 'retrying', attempts: 1, lastError: 'late', at: T0 + 40 },
      ])
      expect(await archive.get(a.deliveryId)).toMatchObject({ state: 'handled', updatedAt: T0 + 50 })
      expect((await archive.get(a.deliveryId))!.lastError).toBeUndefined()
      expect((await archive.stats()).byState).toEqual({ handled: 1 })
    }))

  it('sets a state on a record written without one, and refuses invalid updates', () =>
    withArchive(async (archive) => {
      const dup = sampleRecord({ outcome: 'duplicate', state: undefined, attempts: undefined })
      await archive.write([dup])
      await archive.progress([{ deliveryId: dup.deliveryId, state: 'ignored', attempts: 0, at: T0 }])
      expect((await archive.stats()).byState).toEqual({ ignored: 1 })
      await expect(
        archive.progress([{ deliveryId: dup.deliveryId, state: 'done' as never, attempts: 0, at: T0 }]),
      ).rejects.toThrow(TypeError)
      await expect(
        archive.progress([{ deliveryId: dup.deliveryId, state: 'handled', attempts: -1, at: T0 }]),
      ).rejects.toThrow(TypeError)
      await archive.progress([])
    }))
}

function describePurge(withArchive: WithArchive): void {
  it('purge() deletes records older than retentionMs by the injected clock, and stats follow', async () => {
    let now = T0 + 40 * DAY
    await withArchive(
      async (archive) => {
        const old = Array.from({ length: 25 }, (_, i) => sampleRecord({ receivedAt: T0 + i * 60_000 }))
        const fresh = Array.from({ length: 10 }, (_, i) => rejectedRecord({ receivedAt: T0 + 35 * DAY + i }))
        await archive.write([...old, ...fresh])
        await archive.progress([{ deliveryId: old[3]!.deliveryId, state: 'handled', attempts: 1, at: T0 + DAY }])
        expect(archive.policy.retentionMs).toBe(30 * DAY)
        expect(await archive.purge()).toBe(25)
        expect(await archive.purge()).toBe(0)
        expect(await archive.get(old[0]!.deliveryId)).toBeUndefined()
        expect(await archive.get(fresh[0]!.deliveryId)).toBeDefined()
        expect(await archive.stats()).toEqual(expectedStats(fresh))
        expect(await archive.stats({ until: T0 + DAY })).toEqual(expectedStats([]))
        expect((await archive.list({ limit: 1000 })).items).toHaveLength(10)
        now = T0 + 65 * DAY + 5 // fresh[0..4] are now older than 30 days
        expect(await archive.purge()).toBe(5)
        expect(await archive.stats()).toEqual(expectedStats(fresh.slice(5)))
      },
      { now: () => now },
    )
  })

  it('purges a retention boundary exactly: a record at now - retentionMs stays', async () => {
    const now = T0 + 10_000
    await withArchive(
      async (archive) => {
        const edge = sampleRecord({ receivedAt: now - 1000 })
        const older = sampleRecord({ receivedAt: now - 1001 })
        await archive.write([edge, older])
        expect(await archive.purge()).toBe(1)
        expect(await archive.get(edge.deliveryId)).toBeDefined()
        expect(await archive.get(older.deliveryId)).toBeUndefined()
      },
      { now: () => now, retentionMs: 1000 },
    )
  })
}
