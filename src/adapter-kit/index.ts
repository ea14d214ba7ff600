/**
 * The adapter kit: what every framework adapter is built from. An adapter
 * reads no signature and makes no decision; it locates the raw bytes, calls
 * `receive()`, and writes the result the way its framework expects.
 *
 * @module
 */
export { bodyTimeout, flag, oneOf, toReceiver, DEFAULT_BODY_TIMEOUT_MS, type BaseAdapterOptions } from './options.js'
export { receive, type RawBodySource, type ReceiveInput, type ReceiveOptions, type Received } from './receive.js'
export { isNodeStreamConsumed, readNodeStream, type NodeReadableLike } from './read-node.js'
export { readWebStream } from './read-web.js'
export {
  lingerOnClose,
  nodeHeaders,
  writeNodeResponse,
  type LingerLimits,
  type NodeResponseLike,
  type LingeringRequest,
  type SocketLike,
} from './node.js'
export { resultToError } from './errors.js'
export type { BodyLimits } from './limits.js'
export { checkBeforeReading } from '../pipeline/read.js'
export type { NormalizedHeaders } from '../internal/headers.js'
export { errorText, resolveLogger } from '../internal/log.js'
export { markKeptAlive } from '../internal/serverless.js'
