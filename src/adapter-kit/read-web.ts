/**
 * Raw-body reading from a Web `ReadableStream` (Fetch `Request.body`) under a
 * byte limit and a deadline.
 *
 * @module
 */
import { isHookguardError } from '../errors.js'
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
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(limits.timeoutMs)), limits.timeoutMs)
  })
  // The deadline may fire after the read is over; nobody awaits it then.
  deadline.catch(noop)
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>
      try {
        step = await Promise.race([reader.read(), deadline])
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
    clearTimeout(timer)
    try {
      reader.releaseLock()
    } catch {}
  }
}
