import { afterAll } from 'vitest'
import { describeQueueConformance } from '../../src/conformance/index.js'
import { describeWithPostgres } from '../support/services.js'
import { postgresQueue, type PostgresQueue } from '../../src/postgres.js'
import type { WebhookQueue } from '../../src/types/index.js'
import { dropSchema, freshQueue, newPool, uniqueSchema } from './queue-helpers.js'

describeWithPostgres('postgresQueue on PostgreSQL', () => {
  const schema = uniqueSchema('conf')
  const admin = newPool(2)
  const pools = new Map<WebhookQueue, ReturnType<typeof newPool>>()

  afterAll(async () => {
    await dropSchema(admin, schema)
    await admin.end()
  })

  describeQueueConformance('postgresQueue', {
    async make(hooks): Promise<PostgresQueue> {
      const name = await freshQueue(admin, schema)
      const pool = newPool(6)
      const queue = postgresQueue({
        pool,
        schema,
        name,
        attempts: 3,
        backoffMs: 10,
        maxBackoffMs: 50,
        pollIntervalMs: 50,
        logger: false,
        ...hooks,
      })
      pools.set(queue, pool)
      return queue
    },
    // A second producer on its own pool: concurrent enqueues of one key race inside PostgreSQL.
    peer(queue) {
      const pool = newPool(6)
      const { schema: s, name } = queue as PostgresQueue
      const peer = postgresQueue({ pool, schema: s, name, worker: false, logger: false })
      pools.set(peer, pool)
      return peer
    },
    async destroy(queue) {
      await pools.get(queue)?.end()
      pools.delete(queue)
    },
  })
})
