import { defineConfig } from 'tsup'

// One build for every subpath. splitting keeps a single copy of the core in
// the CJS output too, so brand checks and shared state hold across subpaths.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing.ts',
    express: 'adapters/express.ts',
    koa: 'adapters/koa.ts',
    hono: 'adapters/hono.ts',
    fetch: 'adapters/fetch.ts',
    fastify: 'adapters/fastify.ts',
    node: 'adapters/node.ts',
    sqlite: 'src/sqlite.ts',
    redis: 'src/redis.ts',
    bullmq: 'src/bullmq.ts',
    postgres: 'src/postgres.ts',
    otel: 'src/otel.ts',
    prometheus: 'src/prometheus.ts',
    inspector: 'src/inspector/index.ts',
    conformance: 'src/conformance/index.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  target: 'node20',
  platform: 'node',
  external: [
    'express',
    'koa',
    'fastify',
    'hono',
    'ioredis',
    'bullmq',
    'pg',
    'better-sqlite3',
    '@opentelemetry/api',
    'prom-client',
    // The conformance suites call the user's own vitest: bundling a copy would register tests with no runner.
    'vitest',
  ],
})
