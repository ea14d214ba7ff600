/**
 * Transitional: the receiver's import of `parseJson`. Provider code imports
 * from ./kit/; this file goes once src/receiver.ts imports
 * './providers/kit/body.js' instead.
 *
 * @module
 */
export { parseJson } from './kit/body.js'
