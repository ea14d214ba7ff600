/**
 * Internal: where the SQLite archive's writes run. better-sqlite3 is
 * synchronous, and an archive write is a transaction of a few hundred rows
 * with 1 KiB+ bodies plus, every few MB, a WAL checkpoint with fsyncs: tens
 * of µs per record on the event loop. Measured (bench/archive.bench.ts), that
 * costs the HTTP path far more than the 15 % budget, so by default the
 * writes go to a worker thread with its own connection; the event loop only
 * posts batches (the bodies are transferred, not copied).
 *
 * The worker's code is a small CommonJS source evaluated by `new Worker(…,
 * { eval: true })`, so it survives bundling as ESM and CJS; it loads the
 * same better-sqlite3 file the main thread loaded.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { SqliteDatabase } from '../../internal/sqlite.js'
import type { DeliveryRecord } from '../../types/index.js'
import type { sqliteWriteSql } from './sqlite-schema.js'

export type WriteSql = ReturnType<typeof sqliteWriteSql>

/** Progress rows: [state, attempts, lastError, at, deliveryId, at]. */
export type SqlRow = unknown[]

export interface SqliteWriter {
  /** Stores shaped records (policy applied). */
  write(records: readonly DeliveryRecord[]): Promise<void>
  progress(rows: SqlRow[]): Promise<void>
  /** Deletes up to `limit` records received before `cutoff`; resolves to how many went. */
  purge(cutoff: number, limit: number): Promise<number>
  dropZeroCounts(): Promise<void>
  close(): Promise<void>
}

/**
 * A record as an insert row in ALL_COLUMNS order (see columns.ts), flags as
 * 0/1, with the headers and body given in the form the writer needs.
 */
function insertRow(r: DeliveryRecord, headers: unknown, sealed: unknown, body: unknown): unknown[] {
  return [
    r.deliveryId,
    r.receivedAt,
    r.receiver,
    r.provider,
    r.method,
    r.path,
    headers,
    r.bodySize,
    r.truncated ? 1 : 0,
    r.status,
    r.outcome,
    r.code ?? null,
    r.reason ?? null,
    r.durationMs,
    r.eventId ?? null,
    r.key ?? null,
    r.type ?? null,
    r.replayOf ?? null,
    r.verified === undefined ? null : r.verified ? 1 : 0,
    r.state ?? null,
    r.attempts ?? null,
    r.lastError ?? null,
    r.updatedAt ?? null,
    sealed,
    body,
  ]
}

function blob(body: Uint8Array | undefined): Buffer | null {
  if (body === undefined) return null
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}

/**
 * A batch for the worker: one JSON text of rows (headers and sealed headers
 * as objects, body length or -1 last) and every body packed into one transferable buffer —
 * far cheaper on the event loop than a structured clone of the rows.
 */
function pack(records: readonly DeliveryRecord[]): { json: string; bodies: ArrayBuffer } {
  let size = 0
  for (const r of records) size += r.body?.length ?? 0
  const bodies = new Uint8Array(size)
  let offset = 0
  const rows = records.map((r) => {
    if (r.body === undefined) return insertRow(r, r.headers, r.sealedHeaders ?? null, -1)
    bodies.set(r.body, offset)
    offset += r.body.length
    return insertRow(r, r.headers, r.sealedHeaders ?? null, r.body.length)
  })
  return { json: JSON.stringify(rows), bodies: bodies.buffer }
}

/** Writes on the calling thread, on the archive's own connection. */
export function inlineWriter(db: SqliteDatabase, sql: WriteSql): SqliteWriter {
  const insert = db.prepare(sql.insert)
  const progress = db.prepare(sql.progress)
  const purge = db.prepare(sql.purge)
  const dropZero = db.prepare(sql.dropZero)
  const fold = db.prepare(sql.fold)
  const clearLog = db.prepare(sql.clearLog)
  const folded = <A extends unknown[], R>(work: (...args: A) => R) =>
    db.transaction((...args: A): R => {
      const result = work(...args)
      fold.run()
      clearLog.run()
      return result
    })
  const writeTx = folded((records: readonly DeliveryRecord[]) => {
    for (const r of records) {
      const sealed = r.sealedHeaders === undefined ? null : JSON.stringify(r.sealedHeaders)
      insert.run(insertRow(r, JSON.stringify(r.headers), sealed, blob(r.body)))
    }
  })
  const progressTx = folded((rows: SqlRow[]) => {
    for (const row of rows) progress.run(row)
  })
  const purgeTx = folded((cutoff: number, limit: number) => purge.run(cutoff, limit).changes)
  return {
    write: async (records) => void writeTx.immediate(records),
    progress: async (rows) => void progressTx.immediate(rows),
    async purge(cutoff, limit) {
      const deleted = purgeTx.immediate(cutoff, limit)
      // Let requests in between two bounded batches.
      await new Promise((resolve) => setImmediate(resolve))
      return deleted
    },
    dropZeroCounts: async () => void dropZero.run(),
    close: async () => {},
  }
}

const WORKER_SOURCE = `
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs })
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
const sql = workerData.sql
const insert = db.prepare(sql.insert)
const progress = db.prepare(sql.progress)
const purge = db.prepare(sql.purge)
const dropZero = db.prepare(sql.dropZero)
const fold = db.prepare(sql.fold)
const clearLog = db.prepare(sql.clearLog)
const folded = (work) => db.transaction((...args) => {
  const result = work(...args)
  fold.run()
  clearLog.run()
  return result
})
const write = folded((json, bodies) => {
  let offset = 0
  for (const row of JSON.parse(json)) {
    const length = row[row.length - 1]
    row[6] = JSON.stringify(row[6])
    if (row[row.length - 2] !== null) row[row.length - 2] = JSON.stringify(row[row.length - 2])
    row[row.length - 1] = length < 0 ? null : Buffer.from(bodies, offset, length)
    if (length > 0) offset += length
    insert.run(row)
  }
})
const advance = folded((rows) => { for (const row of rows) progress.run(row) })
const remove = folded((cutoff, limit) => purge.run(cutoff, limit).changes)
const ops = {
  write: (json, bodies) => write.immediate(json, bodies),
  progress: (rows) => advance.immediate(rows),
  purge: (cutoff, limit) => remove.immediate(cutoff, limit),
  dropZeroCounts: () => { dropZero.run() },
}
parentPort.on('message', ({ id, op, args }) => {
  if (op === 'close') {
    db.close()
    parentPort.postMessage({ id })
    parentPort.close()
    return
  }
  try {
    parentPort.postMessage({ id, result: ops[op](...args) })
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error.name, message: error.message, code: error.code } })
  }
})
`

/**
 * The file of the better-sqlite3 this process already loaded (it is
 * CommonJS, so Node's module cache holds it, whether it was imported from
 * ESM or required), so the worker runs the very same driver; resolved from
 * the working directory when a bundler inlined it.
 */
function driverPath(): string {
  const require = createRequire(join(process.cwd(), 'index.js'))
  for (const [file, entry] of Object.entries(require.cache)) if (entry?.exports === Database) return file
  return require.resolve('better-sqlite3')
}

interface Call {
  resolve(value: unknown): void
  reject(error: Error): void
}

function remoteError(error: { name?: string; message?: string; code?: string }): Error {
  const out = new Error(`hookguard: sqliteArchive writer: ${error.message ?? 'failed'}`)
  if (error.code) Object.assign(out, { code: error.code })
  return out
}

/**
 * The worker thread and its calls. It starts on the first call, keeps the
 * process alive only while a call is pending, and is started again after it
 * dies (its pending calls reject).
 */
class WriterThread {
  private readonly calls = new Map<number, Call>()
  private worker: Worker | undefined
  private nextId = 0
  private closed = false

  constructor(private readonly workerData: Record<string, unknown>) {}

  call(op: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('hookguard: sqliteArchive is closed'))
    const thread = (this.worker ??= this.start())
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject })
      thread.ref()
      thread.postMessage({ id, op, args }, transfer)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    const thread = this.worker
    if (thread) {
      const exited = new Promise((resolve) => thread.once('exit', resolve))
      await this.call('close', []).catch(() => {})
      // Held until it is gone: an unreferenced thread would let the process end before 'exit'.
      thread.ref()
      await exited
    }
    this.closed = true
  }

  private start(): Worker {
    const thread = new Worker(WORKER_SOURCE, { eval: true, workerData: this.workerData })
    thread.unref()
    thread.on('message', (message: { id: number; result?: unknown; error?: { message?: string } }) => {
      const call = this.calls.get(message.id)
      this.calls.delete(message.id)
      if (this.calls.size === 0) thread.unref()
      if (message.error) call?.reject(remoteError(message.error))
      else call?.resolve(message.result)
    })
    thread.on('error', (error) => this.lost(thread, remoteError(error)))
    thread.on('exit', () => this.lost(thread, new Error('hookguard: sqliteArchive writer thread exited')))
    return thread
  }

  private lost(thread: Worker, error: Error): void {
    if (this.worker === thread) this.worker = undefined
    for (const call of this.calls.values()) call.reject(error)
    this.calls.clear()
  }
}

/** Writes from a worker thread with its own connection to `path`. */
export function threadWriter(path: string, busyTimeoutMs: number, sql: WriteSql): SqliteWriter {
  const thread = new WriterThread({ driver: driverPath(), path, busyTimeoutMs, sql })
  return {
    async write(records) {
      const { json, bodies } = pack(records)
      await thread.call('write', [json, bodies], [bodies])
    },
    progress: async (rows) => void (await thread.call('progress', [rows])),
    purge: async (cutoff, limit) => (await thread.call('purge', [cutoff, limit])) as number,
    dropZeroCounts: async () => void (await thread.call('dropZeroCounts', [])),
    close: () => thread.close(),
  }
}
