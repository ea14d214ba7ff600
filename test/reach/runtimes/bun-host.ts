/** Serves the worker app with Bun.serve on a loopback port; prints {"listening":port}. */
import worker from './worker.js'

declare const Bun: {
  version: string
  serve(options: { port: number; hostname: string; fetch(request: Request): Promise<Response> }): { port: number }
}

const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => worker.fetch(request) })
console.log(JSON.stringify({ listening: server.port, version: Bun.version }))
