/**
 * Every public contract of hookguard, apart from any implementation.
 *
 * @module
 */
export type * from './http.js'
export type * from './event.js'
export type * from './store.js'
export type * from './queue.js'
export type * from './logger.js'
export type * from './archive.js'
export type * from './metrics.js'
export type * from './tracing.js'
export type * from './provider.js'
export { SIGN } from './provider.js'
