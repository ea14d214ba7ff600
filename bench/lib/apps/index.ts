/**
 * The frameworks of the HTTP benchmark. Each module builds three servers
 * (bare, inline HMAC, hookguard adapter) as Node request listeners.
 */
import { readFileSync } from 'node:fs'
import type { AppFactory } from './types.js'

export interface Framework {
  label: string
  /** The npm package whose version the header shows. */
  pkg?: string
  /** What serves it on node:http, when that is another package. */
  via?: string
  load(): Promise<{ createApp: AppFactory }>
}

export const FRAMEWORKS = {
  node: { label: 'node:http', load: () => import('./node.js') },
  express: { label: 'Express', pkg: 'express', load: () => import('./express.js') },
  koa: { label: 'Koa', pkg: 'koa', load: () => import('./koa.js') },
  hono: { label: 'Hono', pkg: 'hono', via: '@hono/node-server', load: () => import('./hono.js') },
  fastify: { label: 'Fastify', pkg: 'fastify', load: () => import('./fastify.js') },
} satisfies Record<string, Framework>

export type FrameworkName = keyof typeof FRAMEWORKS

/** "Express 5.1.0": the label with the installed version. */
export function frameworkLabel(name: FrameworkName): string {
  const framework: Framework = FRAMEWORKS[name]
  if (!framework.pkg) return `${framework.label} (node ${process.version})`
  try {
    // Read from the file: not every package exports its package.json.
    const file = new URL(`../../../node_modules/${framework.pkg}/package.json`, import.meta.url)
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: string }
    return `${framework.label} ${version}${framework.via ? ` (${framework.via})` : ''}`
  } catch {
    return framework.label
  }
}
