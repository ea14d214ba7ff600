/** Serves the worker app with Deno.serve on a loopback port; prints {"listening":port}. */
import worker from './worker.js'

declare const Deno: {
  version: { deno: string }
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown
}

Deno.serve(
  {
    port: 0,
    hostname: '127.0.0.1',
    onListen: ({ port }) => console.log(JSON.stringify({ listening: port, version: Deno.version.deno })),
  },
  (request) => worker.fetch(request),
)
