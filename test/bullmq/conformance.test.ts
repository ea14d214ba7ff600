import { describeQueueConformance } from '../conformance/queue.js'
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
        onDeadLetter: hooks.onDeadLetter,
        logger: false,
      })
      prefixes.set(queue, prefix)
      return queue
    },
    async destroy(queue) {
      await dropPrefix(prefixes.get(queue)!)
    },
  })
})
