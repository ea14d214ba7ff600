import Database from 'better-sqlite3'
import { afterAll } from 'vitest'
import { describeQueueConformance, describeStoreConformance } from '../../src/conformance/index.js'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import type { DedupeStore } from '../../src/types/index.js'
import { tempDir } from './helpers.js'

const tmp = tempDir('conformance')
afterAll(() => tmp.cleanup())

const paths = new WeakMap<DedupeStore, string>()
const borrowed = new WeakMap<DedupeStore, Database.Database>()
const connections = new WeakMap<object, Database.Database>()
let peers = 0

describeStoreConformance('sqliteStore', {
  make() {
    const path = tmp.file('store')
    const store = sqliteStore({ path })
    paths.set(store, path)
    return store
  },
  // Peers alternate between a second path-opened store and a store on a
  // connection the test opened itself: both are other connections to the file.
  peer(store) {
    const path = paths.get(store)!
    if (peers++ % 2 === 0) return sqliteStore({ path })
    const database = new Database(path)
    const peer = sqliteStore({ database })
    borrowed.set(peer, database)
    return peer
  },
  async destroy(store) {
    await store.close?.()
    borrowed.get(store)?.close()
  },
})

const queuePaths = new WeakMap<object, string>()

describeQueueConformance('sqliteQueue', {
  make: (hooks) => {
    const path = tmp.file('queue')
    const queue = sqliteQueue({
      path,
      attempts: 3,
      backoffMs: 10,
      maxBackoffMs: 50,
      pollIntervalMs: 50,
      logger: false,
      ...hooks,
    })
    queuePaths.set(queue, path)
    return queue
  },
  // Another connection to the same file: concurrent enqueues race through SQLite's write lock.
  peer: (queue) => sqliteQueue({ path: queuePaths.get(queue)!, logger: false }),
})

describeQueueConformance('sqliteQueue sharing one connection with sqliteStore', {
  make: (hooks) => {
    const database = new Database(tmp.file('shared'))
    sqliteStore({ database })
    const queue = sqliteQueue({
      database,
      attempts: 3,
      backoffMs: 10,
      maxBackoffMs: 50,
      pollIntervalMs: 50,
      logger: false,
      ...hooks,
    })
    connections.set(queue, database)
    return queue
  },
  destroy: (queue) => void connections.get(queue)?.close(),
})
