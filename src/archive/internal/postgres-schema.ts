/**
 * Internal: the PostgreSQL archive's table names, migration and statements.
 * The counts table (see stats.ts) is kept by statement-level triggers over
 * transition tables: one aggregated upsert per INSERT/UPDATE/DELETE
 * statement, whoever runs it, so counts stay right even after a manual
 * DELETE. Upserts go in key order, so concurrent writers lock counts rows in
 * the same order and do not deadlock.
 *
 * @module
 */
import { configError } from '../../errors.js'
import { RECORD_SELECT } from './columns.js'
import { GRAINS } from './stats.js'

const PART = /^[a-z_][a-z0-9_]{0,47}$/

/** Names derived from the table name the user gave. */
export interface PgNames {
  /** As given, for messages. */
  name: string
  records: string
  counts: string
  countFunction: string
  /** Unqualified (indexes and triggers live with their table). */
  prefix: string
}

export function parsePgTable(caller: string, table: unknown): PgNames {
  const name = table ?? 'hookguard_archive'
  const parts = typeof name === 'string' ? name.split('.') : []
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => PART.test(part))) {
    throw configError(
      `${caller}: table must be a lower-case identifier such as 'hookguard_archive' or 'myschema.hookguard_archive' ` +
        `(letters, digits, _; at most 48 characters per part; got ${JSON.stringify(name)})`,
    )
  }
  const last = parts.at(-1)!
  const schema = parts.length === 2 ? `"${parts[0]}".` : ''
  return {
    name: name as string,
    records: `${schema}"${last}"`,
    counts: `${schema}"${last}_counts"`,
    countFunction: `${schema}"${last}_count"`,
    prefix: last,
  }
}

const GRAIN_VALUES = GRAINS.map((grain) => `(${grain}::bigint)`).join(', ')

/** Upsert of count changes from `source` rows (received_at, outcome, code, provider, type, state, n). */
function upsertCounts(t: PgNames, source: string): string {
  return `INSERT INTO ${t.counts} AS c (grain, bucket, outcome, code, provider, type, state, n)
    SELECT g.grain, d.received_at - d.received_at % g.grain, d.outcome, d.code, d.provider, d.type, d.state, sum(d.n)
    FROM (${source}) d CROSS JOIN (VALUES ${GRAIN_VALUES}) AS g(grain)
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d.n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (grain, bucket, outcome, code, provider, type, state) DO UPDATE SET n = c.n + excluded.n;`
}

function rowsOf(table: string, n: number): string {
  return `SELECT received_at, outcome, coalesce(code, '') AS code, provider, coalesce(type, '') AS type,
    coalesce(state, '') AS state, ${n}::bigint AS n FROM ${table}`
}

/** The migration: one simple-protocol query, so one transaction, under an advisory lock. */
export function pgMigrationSql(t: PgNames): string {
  const p = t.prefix
  return `
SELECT pg_advisory_xact_lock(hashtext('hookguard:migrate:${t.name}'));
CREATE TABLE IF NOT EXISTS ${t.records} (
  delivery_id text COLLATE "C" PRIMARY KEY,
  received_at bigint NOT NULL,
  receiver text NOT NULL, provider text NOT NULL, method text NOT NULL, path text NOT NULL,
  headers json NOT NULL, body_size bigint NOT NULL, truncated boolean NOT NULL, status smallint NOT NULL,
  outcome text NOT NULL, code text, reason text, duration_ms double precision NOT NULL,
  event_id text, key text, type text, replay_of text, verified boolean,
  state text, attempts integer, last_error text, updated_at bigint, sealed_headers json, body bytea
);
CREATE TABLE IF NOT EXISTS ${t.counts} (
  grain bigint NOT NULL, bucket bigint NOT NULL, outcome text NOT NULL, code text NOT NULL,
  provider text NOT NULL, type text NOT NULL, state text NOT NULL, n bigint NOT NULL,
  PRIMARY KEY (grain, bucket, outcome, code, provider, type, state)
);
CREATE INDEX IF NOT EXISTS "${p}_received" ON ${t.records} (received_at, delivery_id);
CREATE INDEX IF NOT EXISTS "${p}_failed" ON ${t.records} (outcome, received_at, delivery_id) WHERE outcome <> 'accepted';
CREATE INDEX IF NOT EXISTS "${p}_code" ON ${t.records} (code, received_at, delivery_id) WHERE code IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${p}_type" ON ${t.records} (type, received_at, delivery_id) WHERE type IS NOT NULL;
CREATE INDEX IF NOT EXISTS "${p}_event" ON ${t.records} (event_id) WHERE event_id IS NOT NULL;
CREATE OR REPLACE FUNCTION ${t.countFunction}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${upsertCounts(t, rowsOf('new_rows', 1))}
  ELSIF TG_OP = 'DELETE' THEN
    ${upsertCounts(t, rowsOf('old_rows', -1))}
  ELSE
    ${upsertCounts(t, `${rowsOf('new_rows', 1)} UNION ALL ${rowsOf('old_rows', -1)}`)}
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS "${p}_count_insert" ON ${t.records};
CREATE TRIGGER "${p}_count_insert" AFTER INSERT ON ${t.records}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${t.countFunction}();
DROP TRIGGER IF EXISTS "${p}_count_update" ON ${t.records};
CREATE TRIGGER "${p}_count_update" AFTER UPDATE ON ${t.records}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${t.countFunction}();
DROP TRIGGER IF EXISTS "${p}_count_delete" ON ${t.records};
CREATE TRIGGER "${p}_count_delete" AFTER DELETE ON ${t.records}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${t.countFunction}();
`
}

/** Column types of the insert, in ALL_COLUMNS order (see columns.ts). */
// prettier-ignore
const INSERT_TYPES = [
  'text', 'bigint', 'text', 'text', 'text', 'text', 'json', 'bigint', 'boolean', 'smallint', 'text', 'text', 'text',
  'float8', 'text', 'text', 'text', 'text', 'boolean', 'text', 'integer', 'text', 'bigint', 'json', 'bytea',
]

export function pgStatements(t: PgNames, columns: readonly string[]) {
  const arrays = INSERT_TYPES.map((type, i) => `$${i + 1}::${type === 'json' ? 'text' : type}[]`).join(', ')
  const select = columns.map((column, i) => (INSERT_TYPES[i] === 'json' ? `${column}::json` : column)).join(', ')
  return {
    insert: `INSERT INTO ${t.records} (${columns.join(', ')})
      SELECT ${select} FROM unnest(${arrays}) AS r(${columns.join(', ')})
      ON CONFLICT (delivery_id) DO NOTHING`,
    progress: `UPDATE ${t.records} AS d SET state = u.state, attempts = u.attempts,
      last_error = coalesce(u.last_error, d.last_error), updated_at = u.at
      FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::bigint[]) AS u(delivery_id, state, attempts, last_error, at)
      WHERE d.delivery_id = u.delivery_id AND (d.updated_at IS NULL OR d.updated_at <= u.at)`,
    purge: `DELETE FROM ${t.records} WHERE delivery_id IN (
      SELECT delivery_id FROM ${t.records} WHERE received_at < $1 ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    dropZero: `DELETE FROM ${t.counts} WHERE n = 0`,
    get: `SELECT ${RECORD_SELECT} FROM ${t.records} WHERE delivery_id = $1`,
    bucketCounts: (n: number) =>
      `SELECT outcome, code, provider, type, state, sum(n)::float8 AS n FROM ${t.counts}
       WHERE grain = $${n} AND bucket >= $${n + 1} AND bucket < $${n + 2} GROUP BY 1, 2, 3, 4, 5`,
    rawCounts: (n: number) =>
      `SELECT outcome, coalesce(code, '') AS code, provider, coalesce(type, '') AS type, coalesce(state, '') AS state,
       count(*)::float8 AS n FROM ${t.records} WHERE received_at >= $${n} AND received_at < $${n + 1} GROUP BY 1, 2, 3, 4, 5`,
  }
}
