/**
 * The inspector as a `node:http` request listener.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { inspect } from '../handler.js'
import type { InspectorOptions } from '../options.js'
import { sendNodeResponse, toFetchRequest } from './bridge.js'

/**
 * A `(req, res) => void` listener serving the inspector; `authorize` gets
 * the Node `req` as its second argument.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { nodeInspector } from 'hookguard/inspector'
 *
 * createServer(nodeInspector({ archive })).listen(4000, '127.0.0.1')
 * ```
 */
export function nodeInspector(options: InspectorOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const handler = inspect(options)
  return function hookguardInspectorNode(req, res) {
    toFetchRequest(req)
      .then((request) => handler(request, req))
      .then((response) => sendNodeResponse(res, response))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end('Internal error\n')
      })
  }
}
