import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { checkBeforeReading, readNodeStream, readWebStream } from '../../src/adapter-kit/index.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'

const limits = { maxBytes: 1024, timeoutMs: 5000 }

describe('checkBeforeReading', () => {
  it('agrees with receiver.handle() on every method / Content-Encoding / Content-Length combination', async () => {
    const receiver = createReceiver({
      provider: stripe({ secret: 'whsec_test_body_checks_0123' }),
      maxBodyBytes: 1024,
      logger: false,
    })
    const early = new Set(['method.not_allowed', 'body.encoding_unsupported', 'body.too_large'])
    for (const method of ['POST', 'post', 'GET', 'PUT', '']) {
      for (const encoding of [undefined, '', 'identity', ' Identity ', 'gzip', 'br, identity']) {
        for (const length of [undefined, '0', '1024', '1025', '99999999999', 'abc']) {
          const headers: Record<string, string> = {}
          if (encoding !== undefined) headers['content-encoding'] = encoding
          if (length !== undefined) headers['content-length'] = length
          const mine = checkBeforeReading(method, headers, 1024)?.code
          const result = await receiver.handle({ method, headers, body: new Uint8Array(0) })
          const core = result.outcome.kind === 'rejected' ? result.outcome.code : result.outcome.kind
          const where = JSON.stringify({ method, encoding, length })
          if (mine) expect(core, where).toBe(mine)
          else expect(early.has(core), `${where}: core says ${core}`).toBe(false)
        }
      }
    }
  })
})

describe('readNodeStream', () => {
  it('returns the exact bytes, string chunks taken as UTF-8', async () => {
    const bytes = await readNodeStream(Readable.from([Buffer.from([0xff, 0x00]), 'é']), limits)
    expect([...bytes]).toEqual([0xff, 0x00, 0xc3, 0xa9])
  })

  it('rejects with body.too_large as soon as the limit is crossed, without waiting for the end', async () => {
    const stream = new PassThrough()
    const read = readNodeStream(stream, limits)
    stream.write(Buffer.alloc(1024))
    stream.write(Buffer.alloc(1))
    await expect(read).rejects.toMatchObject({ code: 'body.too_large', status: 413 })
  })

  it('rejects with body.timeout when the end does not come in time', async () => {
    const stream = new PassThrough()
    stream.write('partial')
    await expect(readNodeStream(stream, { maxBytes: 1024, timeoutMs: 50 })).rejects.toMatchObject({
      code: 'body.timeout',
      status: 408,
    })
  })

  it('rejects with body.aborted when the stream is destroyed mid-body, and a later error is not unhandled', async () => {
    const stream = new PassThrough()
    const read = readNodeStream(stream, limits)
    stream.write('partial')
    stream.destroy(new Error('socket hang up'))
    await expect(read).rejects.toMatchObject({ code: 'body.aborted' })
    expect(() => stream.emit('error', new Error('late'))).not.toThrow()
  })
})

describe('readWebStream', () => {
  it('returns an empty body for a null stream and the exact bytes otherwise', async () => {
    expect((await readWebStream(null, limits)).length).toBe(0)
    const bytes = await readWebStream(new Response(new Uint8Array([1, 2, 3])).body, limits)
    expect([...bytes]).toEqual([1, 2, 3])
  })

  it('cancels the source when the limit is crossed', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(600)),
      cancel: () => void (cancelled = true),
    })
    await expect(readWebStream(stream, limits)).rejects.toMatchObject({ code: 'body.too_large' })
    expect(cancelled).toBe(true)
  })

  it('rejects with body.timeout and cancels when the body stalls', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new Uint8Array(1)),
      cancel: () => void (cancelled = true),
    })
    await expect(readWebStream(stream, { maxBytes: 1024, timeoutMs: 50 })).rejects.toMatchObject({
      code: 'body.timeout',
      status: 408,
    })
    expect(cancelled).toBe(true)
  })

  it('rejects with body.aborted when the stream errors', async () => {
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.error(new Error('reset')) })
    await expect(readWebStream(stream, limits)).rejects.toMatchObject({ code: 'body.aborted' })
  })
})
