/**
 * Serves the worker app with node:http on a loopback port; prints
 * {"listening":port}. Run with `--import ./hide-node-crypto.mjs` to take
 * node:crypto away, so the app has only Web Crypto (as on workerd).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import worker from './worker.js'

const server = createServer((req, res) => {
  void (async () => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = new Headers()
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    })
    const response = await worker.fetch(request)
    const out: Record<string, string> = {}
    response.headers.forEach((value, name) => (out[name] = value))
    res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()))
  })()
})
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: (server.address() as AddressInfo).port, version: process.version }))
})
