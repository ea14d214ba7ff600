import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { describeStoreConformance } from '../../src/conformance/index.js'
import { DATABASE_URL, describeWithPostgres } from '../support/services.js'
import type { DedupeStore } from '../../src/types/index.js'
import { migratePostgresStore, postgresStore, type PostgresStore } from '../../src/postgres.js'

// One table per store instance so the conformance cases never share rows.
const base = `hg_conf_${process.pid}_${Date.now().toString(36)}`
let tables = 0
const created: string[] = []

describeWithPostgres('postgresStore on PostgreSQL', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
  const pools = new Map<DedupeStore, pg.Pool>()

  beforeAll(async () => {
    await admin.query('SELECT 1')
  })
  afterAll(async () => {
    for (const table of created) await admin.query(`DROP TABLE IF EXISTS "${table}", "${table}_versions"`)
    await admin.end()
  })

  describeStoreConformance('postgresStore (pg Pool)', {
    async make() {
      const table = `${base}_${tables++}`
      created.push(table)
      await migratePostgresStore(admin, { table })
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
      const store = postgresStore({ pool, table })
      pools.set(store, pool)
      return store
    },
    peer(store) {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
      const peer = postgresStore({ pool, table: (store as PostgresStore).table })
      pools.set(peer, pool)
      return peer
    },
    async destroy(store) {
      await pools.get(store)?.end()
      pools.delete(store)
    },
  })
})
