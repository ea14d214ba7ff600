/**
 * Logs every rejected delivery at `warn` and every 5xx at `error`, with
 * provider, receiver, code and reason — never a secret, a signature or a
 * body — through a rate limit, so a flood of forged requests cannot flood
 * the log.
 *
 * @module
 */
import { rateLimited } from '../../internal/rate-limit.js'
import type { Instrument } from '../../pipeline/config.js'
import type { Logger } from '../../types/index.js'

export function logInstrument(logger: Logger): Instrument {
  const limited = rateLimited(logger, { lines: 20, windowMs: 10_000 })
  return {
    end(delivery, result) {
      const outcome = result.outcome
      if (outcome.kind !== 'rejected' && outcome.kind !== 'unavailable') return
      const fields = {
        provider: outcome.provider,
        receiver: outcome.receiver,
        status: outcome.status,
        code: outcome.code,
        reason: outcome.reason,
        method: delivery.method,
      }
      if (outcome.status >= 500) limited.error(fields, 'delivery failed')
      else limited.warn(fields, 'delivery rejected')
    },
  }
}
