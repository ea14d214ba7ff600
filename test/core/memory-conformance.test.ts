import { describeQueueConformance } from '../conformance/queue.js'
import { describeStoreConformance } from '../conformance/store.js'
import { memoryQueue, memoryStore } from '../../src/index.js'

describeStoreConformance('memoryStore', { make: () => memoryStore() })
describeQueueConformance('memoryQueue', {
  make: (hooks) => memoryQueue({ attempts: 3, backoffMs: 10, maxBackoffMs: 50, onDeadLetter: hooks.onDeadLetter }),
})
