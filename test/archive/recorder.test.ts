import { describe, expect, it, vi } from 'vitest'
import { memoryArchive } from '../../src/archive/memory.js'
import { createArchiveRecorder } from '../../src/archive/recorder.js'
import type { DeliveryArchive, DeliveryRecord } from '../../src/types/index.js'
import { rejectedRecord, sampleRecord } from './conformance.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A memory archive whose write() can be observed, slowed, failed or hung. */
function controlled(behaviour: { write?: (records: readonly DeliveryRecord[]) => Promise<void> } = {}) {
  const inner = memoryArchive({ max: 100_000 })
  const calls: number[] = []
  let inFlight = 0
  let maxInFlight = 0
  const archive: DeliveryArchive = {
    ...inner,
    policy: inner.policy,
    async write(records) {
      calls.push(records.length)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        await (behaviour.write?.(records) ?? Promise.resolve())
        await inner.write(records)
      } finally {
        inFlight--
      }
    },
  }
  return { archive, inner, calls, maxInFlight: () => maxInFlight }
}

const silent = () => ({ error: vi.fn(), warn: vi.fn() })

describe('createArchiveRecorder', () => {
  it('writes full batches at once and the rest on flush(), in record order', async () => {
    const { archive, inner, calls } = controlled()
    const recorder = createArchiveRecorder(archive, { batchSize: 10, flushIntervalMs: 60_000, logger: false })
    const records = Array.from({ length: 25 }, () => sampleRecord())
    for (const record of records) recorder.record(record)
    await waitFor(() => calls.length === 2, 'two full batches')
    expect(calls).toEqual([10, 10])
    expect(recorder.stats()).toEqual({ written: 20, dropped: 0, failed: 0, pending: 5 })
    await recorder.flush()
    expect(calls).toEqual([10, 10, 5])
    expect(recorder.stats()).toEqual({ written: 25, dropped: 0, failed: 0, pending: 0 })
    const listed = (await inner.list({ limit: 1000 })).items.map((i) => i.deliveryId)
    expect(listed).toEqual(records.map((r) => r.deliveryId).reverse())
  })

  it('flushes partial batches again and again', async () => {
    const { archive, inner } = controlled()
    const recorder = createArchiveRecorder(archive, { batchSize: 10, flushIntervalMs: 60_000, logger: false })
    const bounded = (promise: Promise<void>) =>
      Promise.race([promise.then(() => 'flushed'), new Promise((resolve) => setTimeout(() => resolve('stuck'), 3000))])
    for (const n of [3, 4, 12, 1]) {
      for (let i = 0; i < n; i++) recorder.record(sampleRecord())
      expect(await bounded(recorder.flush())).toBe('flushed')
    }
    expect(inner.size()).toBe(20)
    expect(recorder.stats()).toEqual({ written: 20, dropped: 0, failed: 0, pending: 0 })
  })

  it('writes a partial batch after flushIntervalMs without being asked', async () => {
    const { archive, inner } = controlled()
    const recorder = createArchiveRecorder(archive, { batchSize: 100, flushIntervalMs: 20, logger: false })
    recorder.record(sampleRecord())
    recorder.record(sampleRecord())
    expect(inner.size()).toBe(0)
    await waitFor(() => inner.size() === 2, 'the timer flush')
    expect(recorder.stats()).toMatchObject({ written: 2, pending: 0 })
    await recorder.close()
  })

  it('never runs the archive inside record(): writes start on a later turn of the event loop', async () => {
    const { archive, calls } = controlled()
    const recorder = createArchiveRecorder(archive, { batchSize: 1, logger: false })
    recorder.record(sampleRecord())
    recorder.record(sampleRecord())
    expect(calls).toEqual([])
    await tick()
    expect(calls.length).toBeGreaterThan(0)
    await recorder.close()
  })

  it('applies the archive policy in record(): bodies cut and flagged, rejected bodies dropped', async () => {
    const inner = memoryArchive({ maxBodyBytes: 8 })
    const recorder = createArchiveRecorder(inner, { logger: false })
    const body = new Uint8Array(20).map((_, i) => i)
    const cut = sampleRecord({ body, bodySize: 20 })
    const rejected = rejectedRecord({ body, bodySize: 20 })
    recorder.record(cut)
    recorder.record(rejected)
    await recorder.flush()
    expect(await inner.get(cut.deliveryId)).toMatchObject({ body: body.slice(0, 8), truncated: true, bodySize: 20 })
    expect((await inner.get(rejected.deliveryId))!.body).toBeUndefined()
  })

  it('applies progress recorded after its record in the same batch', async () => {
    const inner = memoryArchive()
    const recorder = createArchiveRecorder(inner, { logger: false, flushIntervalMs: 60_000 })
    const record = sampleRecord()
    recorder.record(record)
    recorder.progress({ deliveryId: record.deliveryId, state: 'handled', attempts: 1, at: record.receivedAt + 3 })
    await recorder.flush()
    expect(await inner.get(record.deliveryId)).toMatchObject({ state: 'handled', attempts: 1 })
    expect(recorder.stats()).toMatchObject({ written: 2, pending: 0 })
  })

  it('writes progress after its record even when the handler finished before the request was recorded', async () => {
    const inner = memoryArchive()
    const recorder = createArchiveRecorder(inner, {
      logger: false,
      batchSize: 2,
      flushIntervalMs: 10,
      progressDelayMs: 30,
    })
    const a = sampleRecord()
    recorder.progress({ deliveryId: a.deliveryId, state: 'handled', attempts: 1, at: a.receivedAt + 1 })
    recorder.record(sampleRecord())
    recorder.record(sampleRecord()) // a full batch goes out before a is recorded
    await tick()
    recorder.record(a)
    await waitFor(() => recorder.stats().pending === 0, 'the recorder to drain')
    expect(await inner.get(a.deliveryId)).toMatchObject({ state: 'handled', attempts: 1 })
    await recorder.close()
  })

  it("holds progress from another process's recorder for progressDelayMs, so the record lands first", async () => {
    const inner = memoryArchive()
    const receiverSide = createArchiveRecorder(inner, { logger: false, flushIntervalMs: 20 })
    const workerSide = createArchiveRecorder(inner, { logger: false, flushIntervalMs: 5, progressDelayMs: 200 })
    const a = sampleRecord()
    workerSide.progress({
      deliveryId: a.deliveryId,
      state: 'dead',
      attempts: 3,
      lastError: 'Error: x',
      at: a.receivedAt + 9,
    })
    receiverSide.record(a)
    await waitFor(
      () => workerSide.stats().pending === 0 && receiverSide.stats().pending === 0,
      'both recorders to drain',
    )
    expect(await inner.get(a.deliveryId)).toMatchObject({ state: 'dead', attempts: 3, lastError: 'Error: x' })
    await Promise.all([receiverSide.close(), workerSide.close()])
  })

  it('holds progress about a delivery it did not record for progressDelayMs, counted as pending; flush() sends it', async () => {
    const inner = memoryArchive()
    const recorder = createArchiveRecorder(inner, { logger: false, flushIntervalMs: 5, progressDelayMs: 60_000 })
    const elsewhere = sampleRecord() // recorded by another process's recorder
    await inner.write([elsewhere])
    recorder.progress({ deliveryId: elsewhere.deliveryId, state: 'handled', attempts: 1, at: elsewhere.receivedAt + 1 })
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10)) // several timer turns
    expect(recorder.stats()).toMatchObject({ written: 0, pending: 1 })
    expect((await inner.get(elsewhere.deliveryId))!.state).toBe('pending')
    await recorder.flush()
    expect((await inner.get(elsewhere.deliveryId))!.state).toBe('handled')
    expect(recorder.stats()).toMatchObject({ written: 1, pending: 0 })
  })

  it('sends progress about a delivery it recorded without waiting for progressDelayMs', async () => {
    const inner = memoryArchive()
    const recorder = createArchiveRecorder(inner, { logger: false, flushIntervalMs: 5, progressDelayMs: 60_000 })
    const a = sampleRecord()
    recorder.record(a)
    recorder.progress({ deliveryId: a.deliveryId, state: 'handled', attempts: 1, at: a.receivedAt + 1 })
    await waitFor(() => recorder.stats().written === 2, 'record and progress')
    expect((await inner.get(a.deliveryId))!.state).toBe('handled')
    await recorder.close()
  })

  it('holds at most maxPending items while the archive hangs, dropping and counting the rest, with one log line', async () => {
    const { archive, calls } = controlled({ write: () => new Promise(() => {}) })
    const logger = silent()
    const recorder = createArchiveRecorder(archive, { batchSize: 10, maxPending: 50, logger, closeTimeoutMs: 20 })
    for (let i = 0; i < 500; i++) recorder.record(sampleRecord())
    await tick()
    expect(calls).toEqual([10]) // one batch in flight, never more
    expect(recorder.stats()).toEqual({ written: 0, dropped: 450, failed: 0, pending: 50 })
    for (let i = 0; i < 100; i++) recorder.record(sampleRecord())
    expect(recorder.stats().dropped).toBe(550)
    expect(logger.warn).toHaveBeenCalledTimes(1)
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ items: 1, maxPending: 50 })
    // close() gives up after closeTimeoutMs: the 40 buffered are dropped, the hung batch stays pending.
    await recorder.close()
    expect(recorder.stats()).toEqual({ written: 0, dropped: 590, failed: 0, pending: 10 })
  })

  it('counts a failing archive, logs once per minute with the count since, and never throws', async () => {
    const { archive } = controlled({ write: async () => Promise.reject(new Error('disk full')) })
    const logger = silent()
    const recorder = createArchiveRecorder(archive, { batchSize: 5, logger })
    for (let i = 0; i < 100; i++) recorder.record(sampleRecord())
    await expect(recorder.flush()).resolves.toBeUndefined()
    expect(recorder.stats()).toEqual({ written: 0, dropped: 0, failed: 100, pending: 0 })
    expect(logger.error).toHaveBeenCalledTimes(1)
    expect(logger.error.mock.calls[0]![0]).toMatchObject({ items: 5, error: 'Error: disk full' })
    const later = Date.now() + 61_000
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => later)
    try {
      recorder.record(sampleRecord())
      await recorder.flush()
    } finally {
      clock.mockRestore()
    }
    expect(logger.error).toHaveBeenCalledTimes(2)
    expect(logger.error.mock.calls[1]![0]).toMatchObject({ items: 96 })
    await recorder.close()
  })

  it('keeps accepting records while a slow archive writes, one batch at a time', async () => {
    const { archive, inner, maxInFlight } = controlled({
      write: () => new Promise((resolve) => setTimeout(resolve, 30)),
    })
    const recorder = createArchiveRecorder(archive, { batchSize: 10, logger: false })
    for (let i = 0; i < 10; i++) recorder.record(sampleRecord())
    await tick()
    for (let i = 0; i < 25; i++) recorder.record(sampleRecord()) // while the first batch is in flight
    expect(recorder.stats()).toMatchObject({ pending: 35, dropped: 0 })
    await recorder.flush()
    expect(inner.size()).toBe(35)
    expect(maxInFlight()).toBe(1)
  })

  it('close() flushes everything buffered, then drops and counts what comes after', async () => {
    const { archive, inner } = controlled()
    const recorder = createArchiveRecorder(archive, { batchSize: 1000, flushIntervalMs: 60_000, logger: false })
    for (let i = 0; i < 37; i++) recorder.record(sampleRecord())
    await recorder.close()
    expect(inner.size()).toBe(37)
    recorder.record(sampleRecord())
    recorder.progress({ deliveryId: 'x', state: 'handled', attempts: 1, at: 1 })
    expect(recorder.stats()).toEqual({ written: 37, dropped: 2, failed: 0, pending: 0 })
    await recorder.close() // twice is fine
  })

  it('drops and logs an invalid record or update instead of throwing', async () => {
    const { archive, inner } = controlled()
    const logger = silent()
    const recorder = createArchiveRecorder(archive, { logger })
    expect(() => recorder.record({ ...sampleRecord(), receivedAt: Number.NaN })).not.toThrow()
    expect(() => recorder.record(null as never)).not.toThrow()
    expect(() => recorder.progress({ deliveryId: 'x', state: 'nope' as never, attempts: 1, at: 1 })).not.toThrow()
    recorder.record(sampleRecord())
    await recorder.flush()
    expect(recorder.stats()).toEqual({ written: 1, dropped: 3, failed: 0, pending: 0 })
    expect(inner.size()).toBe(1)
    expect(logger.error).toHaveBeenCalledTimes(1)
    expect(logger.error.mock.calls[0]![1]).toMatch(/invalid item/)
  })

  it('refuses a non-archive and bad options at construction', () => {
    expect(() => createArchiveRecorder({} as never)).toThrow(/archive must be a DeliveryArchive/)
    const archive = memoryArchive()
    expect(() => createArchiveRecorder({ ...archive, policy: {} } as never)).toThrow(/archive.policy/)
    expect(() => createArchiveRecorder(archive, { batchSize: 0 })).toThrow(/batchSize/)
    expect(() => createArchiveRecorder(archive, { maxPending: 1.5 })).toThrow(/maxPending/)
    expect(() => createArchiveRecorder(archive, { flushIntervalMs: -1 })).toThrow(/flushIntervalMs/)
    expect(() => createArchiveRecorder(archive, { logger: {} as never })).toThrow(/logger/)
    expect(() => createArchiveRecorder(archive, { progressDelayMs: -1 })).toThrow(/progressDelayMs/)
  })
})
