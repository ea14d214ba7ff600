/**
 * A small node:http client for the adapter tests: it can send a whole body,
 * or send headers and part of a body and wait for the answer without ending
 * (to prove a limit or a deadline answers before the body is complete).
 */
import { request, type IncomingHttpHeaders } from 'node:http'

export interface Sent {
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  /**
   * Send only these bytes of a body and wait for the answer. With
   * `declaredLength` the request carries that Content-Length; without it the
   * body is chunked.
   */
  partial?: { bytes: Uint8Array; declaredLength?: number }
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

export function send(url: string, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(sent.headers ?? {}) }
    const body = typeof sent.body === 'string' ? Buffer.from(sent.body) : sent.body
    if (sent.partial) {
      for (const name of Object.keys(headers))
        if (/^(content-length|transfer-encoding)$/i.test(name)) delete headers[name]
      if (sent.partial.declaredLength !== undefined) headers['content-length'] = String(sent.partial.declaredLength)
      else headers['transfer-encoding'] = 'chunked'
    } else if (body !== undefined && !Object.keys(headers).some((n) => n.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body.length)
    }
    let answered = false
    const req = request(url, { method: sent.method ?? 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        answered = true
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        if (sent.partial) req.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
    })
    req.on('error', (error) => {
      // Once the answer is in, a reset of the half-sent body is expected.
      if (!answered) reject(error)
    })
    if (sent.partial) {
      req.flushHeaders()
      if (sent.partial.bytes.length > 0) req.write(sent.partial.bytes)
      return
    }
    req.end(body)
  })
}
