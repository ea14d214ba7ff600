/**
 * The receiver: `createReceiver(options)` and what it returns.
 *
 * @module
 */
export {
  createReceiver,
  HANDLE_NOW,
  INLINE_ONLY,
  isReceiver,
  type HandleOptions,
  type Receiver,
  type ReceiverOrOptions,
} from './create.js'
export type { ReceiverOptions, ReceiverOptionsFor } from './options.js'
export type { OutcomeContext, OutcomeHook } from './instruments/hooks.js'
export type { ReplayOptions, ReplayResult } from './replay.js'
