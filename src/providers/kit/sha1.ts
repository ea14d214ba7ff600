/**
 * SHA-1, synchronously: Braintree keys its webhook HMAC with the SHA-1 of
 * the private key, and secrets are decoded synchronously at construction.
 * node:crypto when the runtime has it; a small pure implementation for the
 * others (Workers, browsers). Used only to derive such keys.
 *
 * @module
 */
import { nodeCryptoModule } from '../../crypto.js'

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n))

/** SHA-1 in plain JavaScript (FIPS 180-4), for runtimes without node:crypto. */
export function sha1Js(data: Uint8Array): Uint8Array {
  const length = ((data.length + 8) >> 6) * 64 + 64
  const padded = new Uint8Array(length)
  padded.set(data)
  padded[data.length] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(length - 8, Math.floor(data.length / 0x20000000))
  view.setUint32(length - 4, (data.length * 8) >>> 0)
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
  const w = new Int32Array(80)
  for (let block = 0; block < length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(block + i * 4)
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!, 1)
    let [a, b, c, d, e] = h as [number, number, number, number, number]
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? (b & c) | (~b & d) : i < 40 ? b ^ c ^ d : i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6
      const t = (rotl(a, 5) + f + e + k + w[i]!) | 0
      e = d
      d = c
      c = rotl(b, 30)
      b = a
      a = t
    }
    h[0] = (h[0]! + a) | 0
    h[1] = (h[1]! + b) | 0
    h[2] = (h[2]! + c) | 0
    h[3] = (h[3]! + d) | 0
    h[4] = (h[4]! + e) | 0
  }
  const out = new Uint8Array(20)
  const outView = new DataView(out.buffer)
  h.forEach((word, i) => outView.setUint32(i * 4, word >>> 0))
  return out
}

/** SHA-1 of `data`: node:crypto when present, else {@link sha1Js}. */
export function sha1(data: Uint8Array): Uint8Array {
  const node = nodeCryptoModule()
  return node ? new Uint8Array(node.createHash('sha1').update(data).digest()) : sha1Js(data)
}
