/**
 * Raw-body reading from a Node stream (`http.IncomingMessage`) under a byte
 * limit and a deadline, stopping as soon as either is crossed.
 *
 * @module
 */
import type { HookguardError } from '../errors.js'
import { deadline } from '../internal/deadlines.js'
import { aborted, concat, noop, timedOut, tooLarge, type BodyLimits } from './limits.js'

/** The parts of a Node `Readable` (such as `http.IncomingMessage`) the reader uses. */
export interface NodeReadableLike {
  on(event: string, listener: (...args: any[]) => void): unknown
  removeListener(event: string, listener: (...args: any[]) => void): unknown
  pause(): unknown
  resume(): unknown
  readonly readableEnded?: boolean
  readonly readableDidRead?: boolean
  readonly destroyed?: boolean
  readonly complete?: boolean
}

/** Whether someone already read (or is done with) a Node request stream. */
export function isNodeStreamConsumed(stream: NodeReadableLike): boolean {
  // body-parser marks the requests it parsed with `_body`.
  return (
    stream.readableEnded === true ||
    stream.readableDidRead === true ||
    stream.destroyed === true ||
    (stream as { _body?: unknown })._body === true
  )
}

/**
 * Read a Node stream to the end, stopping as soon as it crosses
 * `maxBytes` (413), misses the deadline (408) or is aborted by the client.
 * On failure the stream is paused and left for the caller to close.
 */
export function readNodeStream(stream: NodeReadableLike, limits: BodyLimits): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    let settled = false
    const watch = deadline(limits.timeoutMs, () => finish(timedOut(limits.timeoutMs)))

    function finish(error: HookguardError | undefined): void {
      if (settled) return
      settled = true
      watch.clear()
      if (!error) {
        // The stream has ended: no more 'data' can come, and a later 'error' or 'close' finds the read settled
        // (the 'error' listener also keeps a late disconnect from surfacing as unhandled). Leaving the listeners
        // saves four removals on every delivery.
        resolve(concat(chunks, size))
        return
      }
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onClose)
      stream.pause()
      // A client that disconnects later must not surface as an unhandled 'error'.
      stream.on('error', noop)
      reject(error)
    }
    function onData(chunk: Uint8Array | string): void {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      size += bytes.length
      if (size > limits.maxBytes) return finish(tooLarge(limits.maxBytes))
      chunks.push(bytes)
    }
    function onEnd(): void {
      finish(undefined)
    }
    function onError(error: unknown): void {
      finish(aborted(error))
    }
    function onClose(): void {
      // 'close' before 'end' means the connection went away mid-body (it also follows 'aborted').
      if (stream.readableEnded !== true) finish(aborted())
    }

    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
    stream.resume()
  })
}
