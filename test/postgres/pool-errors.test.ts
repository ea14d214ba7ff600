/**
 * A pg Pool emits `error` when an idle connection dies (a database restart,
 * a proxy's idle timeout). Without a listener that is an uncaught exception:
 * the documented setups, which hand hookguard a bare `new Pool(…)`, must
 * survive it. Here the server really ends the idle connections
 * (pg_terminate_backend), and the same pool then serves the next delivery.
 */
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { postgresArchive, postgresQueue, postgresStore } from '../../src/postgres.js'
import { capturingLogger } from '../support/log.js'
import { DATABASE_URL, describeWithPostgres } from '../support/services.js'

const APP = `hg_pool_errors_${process.pid}`

/** Ends every idle connection of `pool` from another connection, and waits for the pool's error events. */
async function killIdleConnections(pool: pg.Pool, expected: number): Promise<unknown[]> {
  const errors: unknown[] = []
  const seen = new Promise<void>((resolve) => {
    const note = (error: unknown) => {
      errors.push(error)
      if (errors.length >= expected) resolve()
    }
    pool.on('error', note)
  })
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  try {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [APP],
    )
  } finally {
    await admin.end()
  }
  await seen
  return errors
}

describeWithPostgres('a pool handed to hookguard survives its idle connections dying', () => {
  const pools: pg.Pool[] = []
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})))
  })

  function newPool(): pg.Pool {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, application_name: APP, max: 2 })
    pools.push(pool)
    return pool
  }

  it.each([
    ['postgresStore', (pool: pg.Pool, logger: ReturnType<typeof capturingLogger>) => postgresStore({ pool, logger })],
    [
      'postgresArchive',
      (pool: pg.Pool, logger: ReturnType<typeof capturingLogger>) => postgresArchive({ pool, logger }),
    ],
    ['postgresQueue', (pool: pg.Pool, logger: ReturnType<typeof capturingLogger>) => postgresQueue({ pool, logger })],
  ])('%s: the error is logged, not thrown, and the pool answers the next query', async (name, make) => {
    const pool = newPool()
    const logger = capturingLogger()
    make(pool, logger)
    // Two idle connections in the pool.
    const [a, b] = await Promise.all([pool.connect(), pool.connect()])
    a.release()
    b.release()
    expect(pool.idleCount).toBe(2)
    const errors = await killIdleConnections(pool, 2)
    expect(errors).toHaveLength(2)
    expect(logger.lines.filter((line) => line.includes('failed while idle'))).toHaveLength(2)
    expect(logger.lines.join('\n')).toContain(`component=${name}`)
    const { rows } = await pool.query('SELECT 1 AS one')
    expect(rows).toEqual([{ one: 1 }])
  })

  it("leaves the app's own error listener alone, and adds one listener however many parts share the pool", () => {
    const own = newPool()
    own.on('error', () => {})
    postgresStore({ pool: own, logger: false })
    expect(own.listenerCount('error')).toBe(1)

    const shared = newPool()
    postgresStore({ pool: shared, logger: false })
    postgresArchive({ pool: shared, logger: false })
    postgresQueue({ pool: shared, logger: false })
    expect(shared.listenerCount('error')).toBe(1)
  })
})

describe('pool guard without PostgreSQL', () => {
  it('accepts pools without an EventEmitter (a query-only object) unchanged', () => {
    const pool = { query: async () => ({ rows: [], rowCount: 0 }) }
    expect(() => postgresStore({ pool, logger: false })).not.toThrow()
  })
})
