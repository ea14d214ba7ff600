import { describeQueueConformance } from '../../src/conformance/index.js'
import { describeWithRedis } from '../support/services.js'
import { bullmqQueue, type BullmqQueue } from '../../src/bullmq.js'
import { dropPrefix, uniquePrefix, url } from './helpers.js'
import type { WebhookQueue } from '../../src/types/index.js'

const prefixes = new WeakMap<WebhookQueue, string>()

describeWithRedis('bullmqQueue on Redis', () => {
  describeQueueConformance('bullmqQueue', {
    make(hooks): BullmqQueue {
      const prefix = uniquePrefix('conf')
      const queue = bullmqQueue({
        connection: { url },
        prefix,
        attempts: 3,
        backoffMs: 10,
        maxBackoffMs: 50,
        logger: false,
        ...hooks,
      })
      prefixes.set(queue, prefix)
      return queue
    },
    // A second producer on its own connection: concurrent enqueues of one key race inside Redis.
    peer: (queue) => bullmqQueue({ connection: { url }, prefix: prefixes.get(queue)!, worker: false, logger: false }),
    async destroy(queue) {
      await dropPrefix(prefixes.get(queue)!)
    },
  })
})
