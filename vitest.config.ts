import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (expectTypeOf): `vitest run --typecheck`; tsc -p . checks them too.
    typecheck: { include: ['test/**/*.test-d.ts'] },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Service-backed suites share one Redis and one PostgreSQL; files run in parallel on 2 cores.
    maxWorkers: 2,
  },
})
