/**
 * `hookguard/conformance`: the conformance suites every built-in store and
 * queue passes, to run against your own DedupeStore or WebhookQueue inside
 * your vitest test files. They call vitest's `describe`/`it`/`expect`, so
 * vitest (an optional peer dependency) must be installed where they run.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts — run with `npx vitest run`
 * import { describeStoreConformance } from 'hookguard/conformance'
 *
 * describeStoreConformance('myStore', { make: () => myStore() })
 * ```
 *
 * @module
 */
export { describeStoreConformance, type StoreConformanceOptions } from './store.js'
export { describeQueueConformance, type QueueConformanceOptions, type QueueConformancePart } from './queue.js'
