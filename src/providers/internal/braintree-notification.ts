/**
 * The parts of a Braintree notification hookguard reads: the decoded XML of
 * `bt_payload`, and the root's `<kind>` and `<timestamp>` children (never a
 * `<kind>` nested in the subject, such as a dispute's). No XML parser: a
 * scan of tags with a depth count, enough for Braintree's own output; the
 * handler gets the XML for a full parse.
 *
 * @module
 */
import { decodeBase64 } from '../../crypto.js'
import { HookguardError } from '../../errors.js'
import { bodyText } from '../kit/body.js'

/** What the handler receives as `event.payload`. */
export interface BraintreeNotification {
  /** The notification kind (`subscription_went_past_due` …). */
  kind?: string
  /** The notification's `<timestamp>` text (UTC, ISO 8601). */
  timestamp?: string
  /** The decoded notification XML, for a full parse (the SDK uses xml2js). */
  xml: string
  /** `bt_payload` as received (base64 of the XML). */
  payload: string
}

/** Braintree's payload alphabet (its SDKs refuse anything else before the signature check). */
export const PAYLOAD_RE = /^[A-Za-z0-9+/=\n]+$/

/** The XML bytes of a verified `bt_payload`: base64 with line breaks. */
export function payloadXml(payload: string): Uint8Array {
  const bytes = decodeBase64(payload.replace(/\n/g, ''))
  if (!bytes) throw new HookguardError('body.malformed', { reason: 'bt_payload is not base64' })
  return bytes
}

const TAG_RE = /<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>/g
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" }

/** Text of the root element's direct children named in `names` (first of each). */
function rootChildren(xml: string, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {}
  let depth = 0
  let open: { name: string; end: number } | undefined
  for (const match of xml.matchAll(TAG_RE)) {
    const [tag, closing, name, selfClosing] = match as unknown as [string, string, string, string]
    if (closing) {
      if (depth === 2 && open?.name === name && !(name in found))
        found[name] = xml.slice(open.end, match.index).replace(/&[a-z]+;/g, (e) => ENTITIES[e] ?? e)
      depth--
    } else if (!selfClosing) {
      depth++
      if (depth === 2 && names.includes(name)) open = { name, end: match.index + tag.length }
    }
  }
  return found
}

/** The notification a verified `bt_payload` holds. */
export function readNotification(payload: string): BraintreeNotification {
  const xml = bodyText(payloadXml(payload)).replace(/^<\?xml[^>]*\?>/, '')
  const { kind, timestamp } = rootChildren(xml, ['kind', 'timestamp'])
  return { kind: kind?.trim() || undefined, timestamp: timestamp?.trim() || undefined, xml, payload }
}
