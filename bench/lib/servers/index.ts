/** What a benchmark server child can run: a request listener plus optional counters. */
import type { RequestListener } from 'node:http'
import type { E2eServerOptions } from './e2e.js'
import type { HttpServerOptions } from './http.js'

export interface BuiltServer {
  listener: RequestListener
  /** Called when the parent starts a measured window. */
  mark?(): void | Promise<void>
  /** Counters reported with the CPU figures. */
  stats?(): Record<string, unknown> | Promise<Record<string, unknown>>
  close?(): Promise<void>
}

export interface ServerOptions {
  http: HttpServerOptions
  e2e: E2eServerOptions
}
export type ServerName = keyof ServerOptions

export const SERVERS: { [S in ServerName]: (options: ServerOptions[S]) => Promise<BuiltServer> } = {
  http: async (options) => (await import('./http.js')).buildHttpServer(options),
  e2e: async (options) => (await import('./e2e.js')).buildE2eServer(options),
}
