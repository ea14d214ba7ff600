/**
 * Internal: pg-boss, loaded on first use (it is an optional peer, and
 * `hookguard/postgres` also serves users of `postgresStore` alone), wired to
 * the user's `pg` Pool through pg-boss's `db` adapter, and its explicit
 * migration.
 *
 * @module
 */
import type PgBoss from 'pg-boss'
import type { PostgresQueueClient, PostgresQueuePool } from './options.js'

export type PgBossClass = typeof PgBoss
export type Boss = PgBoss

/** What pg-boss calls for every statement: `db.executeSql(text, values)`. */
export interface BossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
}

let loading: Promise<PgBossClass> | undefined

/** Loads pg-boss once per process; a missing install is an error that says how to add it. */
export function loadPgBoss(where: string): Promise<PgBossClass> {
  loading ??= import('pg-boss').then(
    (module) => ((module as { default?: PgBossClass }).default ?? (module as unknown as PgBossClass)) as PgBossClass,
    (error: unknown) => {
      loading = undefined
      throw new Error(`hookguard ${where}: could not load pg-boss; install it next to pg: npm install pg-boss@10`, {
        cause: error,
      })
    },
  )
  return loading
}

/** pg-boss's `db` adapter over a pool or one checked-out client. */
export function bossDb(target: PostgresQueuePool | PostgresQueueClient): BossDb {
  return { executeSql: (text, values) => target.query(text, values) }
}

/**
 * The schema version the loaded pg-boss expects, read from its own
 * construction plan (pg-boss exports no constant for it); undefined when the
 * plan's wording changed, and then the version is not checked.
 */
export function expectedSchemaVersion(PgBossCtor: PgBossClass): number | undefined {
  const plan = PgBossCtor.getConstructionPlans('hookguard_probe')
  const match = /hookguard_probe\.version\s*\(version\)\s*VALUES\s*\('(\d+)'\)/i.exec(plan)
  return match ? Number(match[1]) : undefined
}

export interface BossSettings {
  schema: string
  retentionMs: number
  deadRetentionMs: number
}

/**
 * A pg-boss instance that never starts its own timers: hookguard uses it to
 * insert jobs and runs its maintenance from the worker's loop. `migrate:
 * false` — the schema is created by the explicit migration only.
 */
export function createBoss(PgBossCtor: PgBossClass, db: BossDb, settings: BossSettings): Boss {
  return new PgBossCtor({
    db: db as PgBoss.Db,
    schema: settings.schema,
    migrate: false,
    supervise: false,
    schedule: false,
    archiveCompletedAfterSeconds: Math.ceil(settings.retentionMs / 1000),
    archiveFailedAfterSeconds: Math.ceil(settings.deadRetentionMs / 1000),
  })
}

/** Our unique index on the queue's partition: one job per dedupe key, whatever its state. */
function keyIndexSql(schema: string, name: string): string {
  // schema and name were validated to [a-z0-9_] / [A-Za-z0-9_-]: safe inside the literals below.
  return `
DO $hookguard$
DECLARE part text;
BEGIN
  SELECT partition_name INTO part FROM "${schema}".queue WHERE name = '${name}';
  IF part IS NULL THEN
    RAISE EXCEPTION 'hookguard: pg-boss did not create queue ${name} in schema ${schema}';
  END IF;
  EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I.%I (singleton_key)', part || '_hgkey', '${schema}', part);
END
$hookguard$`
}

/**
 * Installs or upgrades pg-boss's tables in `schema` (pg-boss's own
 * migration), creates the queue `name` (policy `standard`), and adds
 * hookguard's unique index on its dedupe keys. Idempotent; one migrator at a
 * time per schema, on one connection that holds a session advisory lock.
 */
export async function migrateQueue(
  where: string,
  pool: PostgresQueuePool,
  location: { schema: string; name: string },
): Promise<void> {
  const PgBossCtor = await loadPgBoss(where)
  const client = await pool.connect()
  const lock = `hookguard:migrate:pgboss:${location.schema}`
  let failure: Error | undefined
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock])
    const boss = new PgBossCtor({
      db: bossDb(client) as PgBoss.Db,
      schema: location.schema,
      migrate: true,
      supervise: false,
      schedule: false,
    })
    boss.on('error', () => {})
    await boss.start()
    try {
      await boss.createQueue(location.name, { name: location.name, policy: 'standard' })
    } finally {
      await boss.stop({ graceful: false, close: false })
    }
    await client.query(keyIndexSql(location.schema, location.name))
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock])
  } catch (error) {
    // The connection may sit in an aborted transaction or still hold the lock: never reuse it.
    failure = error instanceof Error ? error : new Error(String(error))
    throw error
  } finally {
    client.release(failure ?? false)
  }
}
