/**
 * Raw-body reading from a Web `ReadableStream` (Fetch `Request.body`) under a
 * byte limit and a deadline.
 *
 * @module
 */
import { isHookguardError } from '../errors.js'
import { deadline } from '../internal/deadlines.js'
import { aborted, concat, noop, timedOut, tooLarge, type BodyLimits } from './limits.js'

/** Like {@link readNodeStream}, for a Web `ReadableStream` (Fetch `Request.body`). */
export async function readWebStream(
  stream: ReadableStream<Uint8Array> | null,
  limits: BodyLimits,
): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0)
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let expire!: (error: unknown) => void
  const expired = new Promise<never>((_, reject) => (expire = reject))
  // The deadline may fire after the read is over; nobody awaits it then.
  expired.catch(noop)
  const watch = deadline(limits.timeoutMs, () => expire(timedOut(limits.timeoutMs)))
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>
      try {
        step = await Promise.race([reader.read(), expired])
      } catch (error) {
        throw isHookguardError(error) ? error : aborted(error)
      }
      if (step.done) return concat(chunks, size)
      const bytes = typeof step.value === 'string' ? new TextEncoder().encode(step.value) : step.value
      size += bytes.length
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes)
      chunks.push(bytes)
    }
  } catch (error) {
    // Stop pulling from the client; cancel failures mean it is already gone.
    reader.cancel().catch(noop)
    throw error
  } finally {
    watch.clear()
    try {
      reader.releaseLock()
    } catch {}
  }
}
