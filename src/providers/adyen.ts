/**
 * Adyen (Standard payment webhooks, JSON): each NotificationRequestItem
 * carries its own signature in `additionalData.hmacSignature`, the base64
 * HMAC-SHA256, keyed by the hex HMAC key from the Customer Area, of eight
 * of its fields joined by `:` — `pspReference`, `originalReference`,
 * `merchantAccountCode`, `merchantReference`, `amount.value`,
 * `amount.currency`, `eventCode`, `success` (an absent field is empty).
 *
 * - The signature sits inside the body, so the body is parsed before it is
 *   verified (a 400 when it is not JSON of that shape). A request is
 *   accepted only when EVERY item verifies: one forged item makes the whole
 *   request a 401, and nothing of it is queued.
 * - Only those eight fields are signed. `eventDate`, `reason`,
 *   `paymentMethod`, `operations`, the rest of `additionalData` and the
 *   top-level `live` are not: do not act on them without checking with
 *   Adyen's API. Values are joined without escaping, so a `:` inside a value
 *   could be moved into the next field by a forger; and `amount.value` is
 *   read as a number (`1130`, `1130.0` and `1.13e3` are one value).
 * - Id: `pspReference:eventCode:success` of the item (all signed). Adyen
 *   resends an item unchanged, so a retry is a duplicate; an outcome that
 *   changes (`success` false, then true) is a new event. JSON webhooks hold
 *   one item; a request with several is queued as one event whose id is
 *   `sha256:` + the hex SHA-256 of the item ids, one per line, and whose
 *   type is the items' shared `eventCode` (else `batch`); the handler walks
 *   `notificationItems`.
 * - Answer: Adyen expects the body `[accepted]` (its SDKs' examples); an
 *   accepted or duplicate delivery is answered that way.
 * - No timestamp is signed: the dedupe store is the replay protection.
 *
 * @module
 */
import { decodeBase64, decodeHex, encodeBase64 } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, record } from './kit/body.js'
import { batchId, batchType } from './kit/batch.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { hmacMatch } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { openProvider, type UntimedProviderOptions } from './kit/setup.js'
import { signBodyText } from './kit/sign.js'

/** Options of {@link adyen}. `secret` is the webhook's HMAC key as hex (64 hex digits, from the Customer Area). */
export type AdyenOptions = UntimedProviderOptions

/** More items than this in one request is malformed (JSON webhooks carry one). */
const MAX_ADYEN_ITEMS = 100

const STRING_FIELDS = ['pspReference', 'originalReference', 'merchantAccountCode', 'merchantReference'] as const

interface SignedItem {
  /** The string Adyen signs. */
  data: string
  /** `pspReference:eventCode:success`. */
  id: string
  eventCode: string
}

function malformed(reason: string): HookguardError {
  return new HookguardError('body.malformed', { reason })
}

/** A string field as Adyen joins it: absent or null is empty, anything but a string is malformed. */
function textField(item: Record<string, unknown>, field: string): string {
  const value = item[field]
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw malformed(`NotificationRequestItem.${field} is not a string`)
  return value
}

function successField(item: Record<string, unknown>): string {
  const value = item.success
  if (value === 'true' || value === 'false') return value
  if (typeof value === 'boolean') return String(value)
  throw malformed('NotificationRequestItem.success is neither "true" nor "false"')
}

/** The signed string and id of one item (no signature read here). */
function signedItem(item: Record<string, unknown>): SignedItem {
  const amount = record(item.amount)
  if (!amount || !Number.isSafeInteger(amount.value) || typeof amount.currency !== 'string')
    throw malformed('NotificationRequestItem.amount is not { value: integer, currency: string }')
  const [pspReference, originalReference, merchantAccountCode, merchantReference] = STRING_FIELDS.map((field) =>
    textField(item, field),
  )
  const eventCode = textField(item, 'eventCode')
  const success = successField(item)
  const data = [
    pspReference,
    originalReference,
    merchantAccountCode,
    merchantReference,
    String(amount.value),
    amount.currency,
    eventCode,
    success,
  ].join(':')
  return { data, id: `${pspReference}:${eventCode}:${success}`, eventCode }
}

/** The items of a notification body, each as its object; a 400 when the shape is wrong. */
function notificationItems(payload: unknown): Array<Record<string, unknown>> {
  const items = record(payload)?.notificationItems
  if (!Array.isArray(items) || items.length === 0)
    throw malformed('body has no notificationItems (is this an Adyen Standard webhook?)')
  if (items.length > MAX_ADYEN_ITEMS) throw malformed(`more than ${MAX_ADYEN_ITEMS} notificationItems`)
  return items.map((entry) => {
    const item = record(record(entry)?.NotificationRequestItem)
    if (!item) throw malformed('a notificationItems entry has no NotificationRequestItem object')
    return item
  })
}

/** The decoded `additionalData.hmacSignature` of an item: missing is a 401, malformed a 400. */
function itemSignature(item: Record<string, unknown>): Uint8Array {
  const text = record(item.additionalData)?.hmacSignature
  if (text === undefined || text === '')
    throw new HookguardError('signature.missing', { reason: 'an item has no additionalData.hmacSignature' })
  const signature = typeof text === 'string' ? decodeBase64(text) : undefined
  if (!signature || signature.length !== 32)
    throw malformedSignature('additionalData.hmacSignature is not the padded base64 of 32 bytes')
  return signature
}

function hexKey(secret: string): Uint8Array {
  const key = decodeHex(secret, 'any')
  if (!key) throw new Error('must be the HMAC key as hex (an even number of hex digits, as the Customer Area shows it)')
  return key
}

/**
 * Adyen Standard webhooks (payments), JSON, with HMAC signatures enabled.
 *
 * @example
 * ```ts
 * const provider = adyen({ secret: process.env.ADYEN_HMAC_KEY! })
 * ```
 */
export function adyen(options: AdyenOptions): Provider {
  const name = 'adyen'
  const opened = openProvider(name, options, { untimed: 'Adyen', secret: { decode: hexKey } })
  const { backend, keys } = opened
  const scheme = { backend, algorithm: 'sha256' as const, fingerprint: false }
  const parsed = new WeakMap<ProviderRequest, { payload: unknown; items: SignedItem[] }>()

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [],
    verify(request) {
      const payload = parseJson(request.body)
      const objects = notificationItems(payload)
      const items = objects.map(signedItem)
      const signatures = objects.map(itemSignature)
      return withKeys(keys, request, async (k) => {
        // Every item must carry a valid signature of its own.
        for (let i = 0; i < items.length; i++) {
          if ((await hmacMatch(scheme, k, [items[i]!.data], [signatures[i]!])) === -1)
            throw invalidSignature(`item ${i} does not verify`)
        }
        parsed.set(request, { payload, items })
        return {}
      })
    },
    parse: (request) => (parsed.has(request) ? parsed.get(request)!.payload : parseJson(request.body)),
    async describe(payload, request) {
      const items = parsed.get(request)?.items ?? notificationItems(payload).map(signedItem)
      const type = batchType(items.map((item) => item.eventCode || undefined))
      if (items.length === 1) return { id: items[0]!.id, type }
      return {
        id: await batchId(
          backend,
          items.map((item) => item.id),
        ),
        type,
      }
    },
    acknowledge() {
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '[accepted]' }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await keys.forSigning(sign)
      const payload = JSON.parse(signBodyText(sign)) as unknown
      for (const item of notificationItems(payload)) {
        const mac = await backend.hmac('sha256', key!, [signedItem(item).data])
        item.additionalData = { ...record(item.additionalData), hmacSignature: encodeBase64(mac) }
      }
      return { headers: { 'content-type': 'application/json', ...sign.headers }, body: JSON.stringify(payload) }
    },
  }
}
