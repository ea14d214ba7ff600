/**
 * Shared pieces of the postgresQueue tests: a pg-boss schema no other test
 * file uses (`hgq_<file>_<random>`), dropped afterwards, and a migrated
 * queue of its own per test.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { DATABASE_URL } from '../support/services.js'
import { migratePostgresQueue } from '../../src/postgres.js'

export const url = DATABASE_URL ?? 'postgres://127.0.0.1/test'

/** A schema name no other test uses. */
export function uniqueSchema(file: string): string {
  return `hgq_${file}_${process.pid}_${randomBytes(4).toString('hex')}`
}

export function newPool(max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max })
  pool.on('error', () => {}) // a connection the server dropped; the next query reconnects
  return pool
}

let queues = 0

/** Migrates a fresh queue name in `schema` and returns it. */
export async function freshQueue(pool: pg.Pool, schema: string): Promise<string> {
  const name = `q${queues++}`
  await migratePostgresQueue(pool, { schema, name })
  return name
}

/** Drops the schema and everything pg-boss and hookguard put in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
}
