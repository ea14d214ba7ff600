/**
 * Faults with the PostgreSQL store, without touching the shared server:
 * - unavailable: the pool reaches PostgreSQL through a TCP proxy the test
 *   cuts (every connection dropped, port closed) and then reopens;
 * - slow: another session holds an exclusive lock on the table, so reserves
 *   wait inside PostgreSQL until it commits.
 */
import { once } from 'node:events'
import net from 'node:net'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createReceiver, type Outcome } from '../../src/index.js'
import { migratePostgresStore, postgresStore } from '../../src/postgres.js'
import { DATABASE_URL, describeWithPostgres } from '../support/services.js'
import {
  countingQueue,
  expectAcceptedOnceAfterLateLease,
  makeProvider,
  post,
  serve,
  signed,
  waitFor,
  type Delivery,
} from './support.js'

/** A loopback TCP proxy to PostgreSQL that can be cut and reopened on the same port. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined
  let port = 0
  async function open(): Promise<void> {
    server = net.createServer((socket) => {
      const upstream = net.connect(target.port, target.host)
      for (const s of [socket, upstream]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => {})
      }
      socket.pipe(upstream).pipe(socket)
      socket.on('close', () => upstream.destroy())
      upstream.on('close', () => socket.destroy())
    })
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as net.AddressInfo).port
  }
  async function cut(): Promise<void> {
    const closing = server
    server = undefined
    if (!closing) return
    closing.close()
    for (const socket of sockets) socket.destroy()
    await once(closing, 'close')
  }
  await open()
  return { port: () => port, cut, reopen: open }
}

describeWithPostgres('fault: PostgreSQL store unavailable and slow', () => {
  const url = new URL(DATABASE_URL ?? 'postgres://127.0.0.1')
  const table = `hg_faults_${process.pid}_${Date.now().toString(36)}`
  let admin: pg.Pool

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
    await migratePostgresStore(admin, { table })
  })
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`)
    await admin.end()
  })

  it('answers 503 while PostgreSQL is unreachable, enqueues nothing, and accepts the retries once when it is back', async () => {
    const proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) })
    const viaProxy = new URL(url)
    viaProxy.port = String(proxy.port())
    const pool = new pg.Pool({ connectionString: viaProxy.href, max: 4, connectionTimeoutMillis: 500 })
    pool.on('error', () => {}) // idle connections die with the proxy; the next query reconnects
    const queue = countingQueue()
    const receiver = createReceiver({
      provider: makeProvider(),
      store: postgresStore({ pool, table, logger: false }),
      queue,
      logger: false,
    })
    const front = await serve(receiver)
    try {
      expect((await post(front.port, await signed('evt_pg_before'))).status).toBe(200)

      await proxy.cut()
      const deliveries: Delivery[] = await Promise.all(
        Array.from({ length: 4 }, (_, i) => signed(`evt_pg_outage_${i}`)),
      )
      for (const answer of await Promise.all(deliveries.map((d) => post(front.port, d)))) {
        expect([answer.status, answer.headers['retry-after'], answer.headers['hookguard-outcome']]).toEqual([
          503,
          '5',
          'unavailable',
        ])
      }
      expect(queue.keys).toEqual(['stripe:default:evt_pg_before'])

      await proxy.reopen()
      const after = await Promise.all(deliveries.map((d) => post(front.port, d)))
      expect(after.map((a) => a.body.status)).toEqual(deliveries.map(() => 'accepted'))
      const again = await Promise.all(deliveries.map((d) => post(front.port, d)))
      expect(again.map((a) => [a.status, a.body.status])).toEqual(deliveries.map(() => [200, 'duplicate']))
      for (const d of deliveries) expect(queue.count(`stripe:default:${d.id}`)).toBe(1)
    } finally {
      await front.close()
      await pool.end()
      await proxy.cut()
    }
  })

  it('answers 503 within the store budget while the table is locked, never a late 2xx, and accepts the retry once', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
    const queue = countingQueue()
    const outcomes: Outcome[] = []
    const receiver = createReceiver({
      provider: makeProvider(),
      store: postgresStore({ pool, table, logger: false }),
      queue,
      storeTimeoutMs: 300,
      queueTimeoutMs: 500,
      leaseMs: 1500,
      logger: false,
      onOutcome: (outcome) => void outcomes.push(outcome),
    })
    const front = await serve(receiver)
    const locker = await admin.connect()
    const delivery = await signed('evt_pg_locked')
    const key = 'stripe:default:evt_pg_locked'
    try {
      await locker.query('BEGIN')
      await locker.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`)
      let answers
      try {
        answers = await Promise.all([post(front.port, delivery), post(front.port, delivery)])
      } finally {
        await locker.query('COMMIT')
      }
      // The lock was still held when these came back: only the receiver's budget can have ended them.
      for (const answer of answers)
        expect([answer.status, answer.body.error?.code, answer.headers['retry-after']]).toEqual([
          503,
          'store.timeout',
          '5',
        ])

      // The waiting INSERT now runs: it reserves the key for a delivery that was already answered 503.
      await waitFor(
        'the late reserve to land',
        async () => (await admin.query(`SELECT 1 FROM "${table}" WHERE key = $1`, [key])).rowCount === 1,
      )
      expect(queue.keys).toEqual([])
      expect(outcomes.map((o) => o.kind)).toEqual(['unavailable', 'unavailable'])

      await expectAcceptedOnceAfterLateLease(front.port, delivery, queue, key)
    } finally {
      locker.release()
      await front.close()
      await pool.end()
    }
  })
})
