/**
 * Base64 signature headers (`X-WC-Webhook-Signature`, `Typeform-Signature:
 * sha256=…`): strict padded standard base64 of a fixed length, after an
 * optional fixed prefix.
 *
 * @module
 */
import { decodeBase64 } from '../../crypto.js'
import type { ProviderRequest } from '../../types/index.js'
import { malformedSignature } from './fail.js'
import { requireSignatureHeader } from './headers.js'

/**
 * The decoded signature of `header`: a missing or blank header is a 401; a
 * wrong prefix, another spelling than canonical padded base64 or another
 * length than `bytes` is a 400.
 */
export function readBase64Signature(
  request: Pick<ProviderRequest, 'headers'>,
  header: string,
  bytes: number,
  prefix = '',
): Uint8Array {
  const value = requireSignatureHeader(request, header)
  if (!value.startsWith(prefix)) throw malformedSignature(`${header} does not start with ${prefix}`)
  const signature = decodeBase64(value.slice(prefix.length))
  if (!signature || signature.length !== bytes)
    throw malformedSignature(`${header} is not the padded base64 of ${bytes} bytes`)
  return signature
}
