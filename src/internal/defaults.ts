/**
 * Internal: defaults that more than one part of hookguard must agree on.
 *
 * @module
 */

/**
 * How long a completed event key is remembered: 4 days, which covers
 * Stripe's 3-day and Standard Webhooks' ~75-hour retry horizons. The
 * receiver's dedupe retention and the queues' done-key retention both use it.
 */
export const DEFAULT_RETENTION_MS = 4 * 24 * 3600 * 1000
