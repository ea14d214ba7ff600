/**
 * The BullMQ job id of a dedupe key, and back.
 *
 * @module
 */

function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/**
 * The BullMQ job id for a dedupe key. BullMQ refuses integer ids and ids with
 * `:` (unless in exactly three parts), so `%` and `:` are escaped, and so are
 * lone surrogates, which Redis would otherwise store as U+FFFD and merge.
 * Reversed by {@link keyForJobId}.
 *
 * @example
 * ```ts
 * const job = await queue.bullmq.getJob(jobIdForKey('stripe:default:evt_1')) // id 'hg-stripe%3Adefault%3Aevt_1'
 * ```
 */
export function jobIdForKey(key: string): string {
  let out = 'hg-'
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i)
    if (unit === 0x25) out += '%25'
    else if (unit === 0x3a) out += '%3A'
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < key.length && isLow(key.charCodeAt(i + 1))) {
      out += key[i]! + key[i + 1]!
      i++
    } else if (unit >= 0xd800 && unit <= 0xdfff) out += `%u${unit.toString(16).toUpperCase().padStart(4, '0')}`
    else out += key[i]
  }
  return out
}

/**
 * The dedupe key a job id made by {@link jobIdForKey} stands for, or undefined for other ids.
 *
 * @example
 * ```ts
 * for (const job of await queue.bullmq.getFailed()) console.log(keyForJobId(job.id!))
 * ```
 */
export function keyForJobId(jobId: string): string | undefined {
  if (!jobId.startsWith('hg-')) return undefined
  return jobId
    .slice(3)
    .replace(/%(25|3A|u[0-9A-F]{4})/g, (_, code: string) =>
      code === '25' ? '%' : code === '3A' ? ':' : String.fromCharCode(parseInt(code.slice(1), 16)),
    )
}
