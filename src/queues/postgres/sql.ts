/**
 * Internal: the statements hookguard runs on pg-boss's job table, beside
 * pg-boss's own insert and maintenance. Every job of the queue lives in one
 * partition of `<schema>.job` (pg-boss makes one per queue); hookguard's
 * unique index on its `singleton_key` holds one job per dedupe key.
 *
 * States (pg-boss's): created and retry are pending, active is running,
 * completed is done, failed is dead. A job's attempt is `retry_count + 1`:
 * pg-boss counts a fetch of a job that ran before as a retry. Every outcome
 * is a compare-and-set on (id, active, retry_count), so a worker whose claim
 * was taken over changes nothing.
 *
 * @module
 */

/** How long a pending job waits for a worker before pg-boss's maintenance archives it (pg-boss's default). */
const PENDING_KEEP = `interval '14 days'`

export interface Statements {
  ready: string
  exists: string
  revive: string
  fetch: string
  heartbeat: string
  done: string
  retry: string
  dead: string
  maintenanceTurn: string
  stats: string
  deadList: string
  retryDead: string
  retryAllDead: string
  discardDead: string
}

export function statements(schema: string): Statements {
  const job = `"${schema}".job`
  const owned = `WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`
  const fresh = `state = 'created', retry_count = 0, started_on = NULL, start_after = now(), completed_on = NULL,
    output = NULL, keep_until = now() + ${PENDING_KEEP}`
  return {
    // Whether the migration ran: the queue exists with the standard policy, our index is there, pg-boss's version.
    ready: `
SELECT q.policy, v.version,
       to_regclass(format('%I.%I', $2::text, q.partition_name || '_hgkey')) IS NOT NULL AS indexed
FROM "${schema}".queue q CROSS JOIN (SELECT max(version) AS version FROM "${schema}".version) v
WHERE q.name = $1`,
    exists: `SELECT 1 FROM ${job} WHERE name = $1 AND singleton_key = $2`,
    // A dead key enqueued again: the dead letter becomes a fresh job carrying the new event.
    revive: `UPDATE ${job} SET ${fresh}, data = $3::jsonb, created_on = now(), retry_limit = $4
WHERE name = $1 AND singleton_key = $2 AND state = 'failed'`,
    // pg-boss's own fetch, for the standard policy, without its habit of swallowing errors. The claiming
    // worker's settings decide what pg-boss's expiry does with the job if this worker dies: when ($3 ms
    // without a heartbeat), how many attempts in all ($4 = attempts - 1), how long before the retry ($5 s).
    fetch: `
WITH next AS (
  SELECT id FROM ${job}
  WHERE name = $1 AND state < 'active' AND start_after < now()
  ORDER BY priority DESC, created_on, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
UPDATE ${job} j SET state = 'active', started_on = now(),
  retry_count = CASE WHEN j.started_on IS NOT NULL THEN j.retry_count + 1 ELSE j.retry_count END,
  expire_in = $3::float8 * interval '1 millisecond', retry_limit = $4, retry_delay = $5, retry_backoff = true
FROM next WHERE j.name = $1 AND j.id = next.id
RETURNING j.id, j.singleton_key AS key, j.data, j.retry_count`,
    // pg-boss expires a job `expire_in` after `started_on`: moving it forward is the heartbeat.
    heartbeat: `
UPDATE ${job} j SET started_on = now() FROM unnest($2::uuid[], $3::int[]) AS r(id, n)
WHERE j.name = $1 AND j.id = r.id AND j.retry_count = r.n AND j.state = 'active'`,
    // A done job only has to block its key, so its event is dropped.
    done: `UPDATE ${job} SET state = 'completed', completed_on = now(), data = '{"v":1}'::jsonb, output = NULL ${owned}`,
    retry: `UPDATE ${job} SET state = 'retry', start_after = now() + $4::float8 * interval '1 millisecond',
  output = $5::jsonb ${owned}`,
    dead: `UPDATE ${job} SET state = 'failed', completed_on = now(), output = $4::jsonb ${owned}`,
    // pg-boss's own guard: one maintenance run per interval across every process.
    maintenanceTurn: `
UPDATE "${schema}".version SET maintained_on = now()
WHERE EXTRACT(EPOCH FROM (now() - COALESCE(maintained_on, now() - interval '1 week'))) > $1
RETURNING true`,
    stats: `SELECT state::text AS state, count(*)::int AS n FROM ${job} WHERE name = $1 GROUP BY state`,
    deadList: `
SELECT singleton_key AS key, data, retry_count,
       COALESCE(output->>'message', output#>>'{value,message}', '') AS error,
       floor(extract(epoch FROM completed_on) * 1000)::float8 AS failed_at
FROM ${job} WHERE name = $1 AND state = 'failed'
ORDER BY completed_on DESC, created_on DESC, id DESC LIMIT $2`,
    retryDead: `UPDATE ${job} SET ${fresh} WHERE name = $1 AND singleton_key = $2 AND state = 'failed'`,
    retryAllDead: `UPDATE ${job} SET ${fresh} WHERE name = $1 AND state = 'failed'`,
    discardDead: `DELETE FROM ${job} WHERE name = $1 AND singleton_key = $2 AND state = 'failed'`,
  }
}
