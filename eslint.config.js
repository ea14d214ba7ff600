import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const FRAMEWORKS = ['express', 'koa', 'hono', 'hono/*', '@hono/*', 'fastify', '@nestjs/*']

/** One layer rule: `files` may not import from `banned` (folders relative to the file's own folder). */
function layer(files, banned, message) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: banned.flatMap((folder) => [
                `../${folder}/*`,
                `../../${folder}/*`,
                `../${folder}.js`,
                `../../${folder}.js`,
              ]),
              message,
            },
          ],
        },
      ],
    },
  }
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tmp/**',
      'coverage/**',
      'examples/**/node_modules/**',
      'docs/.vitepress/cache/**',
      'docs/.vitepress/dist/**',
      'docs/api/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // On Node 20 (V8 11), adding any property after an object spread — `{ ...event, attempt }`,
    // `{ ...a, ...b }` — leaves the clone fast path: about 1 µs per object instead of ~0.1 µs for
    // Object.assign (bench/micro/spread.bench.ts). Banned where code runs once per request or event.
    files: [
      'adapters/**/*.ts',
      'src/adapter-kit/**/*.ts',
      'src/pipeline/**/*.ts',
      'src/worker/**/*.ts',
      'src/archive/**/*.ts',
      'src/observe/**/*.ts',
      'src/queues/memory.ts',
      'src/queues/*/{worker,event,rows,queue,dead}.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression > SpreadElement ~ :matches(Property, SpreadElement)',
          message: 'A property after a spread is ~1 µs per object on Node 20: use Object.assign({}, base, extra).',
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  // Layers: dependencies flow one way — adapters → adapter-kit → receiver → worker/pipeline →
  // stores/queues/archive/providers → crypto/internal → types. Nothing in src/ imports a web framework,
  // and nothing but src/conformance imports vitest: the runtime must load without it.
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...FRAMEWORKS,
            '../adapters/*',
            '../../adapters/*',
            'vitest',
            'vitest/*',
            './conformance/*',
            '../conformance/*',
          ],
        },
      ],
    },
  },
  layer(
    ['src/types/**/*.ts'],
    [
      'internal',
      'pipeline',
      'receiver',
      'worker',
      'adapter-kit',
      'providers',
      'stores',
      'queues',
      'archive',
      'crypto',
      'errors',
    ],
    'src/types holds contracts only.',
  ),
  layer(
    ['src/internal/**/*.ts'],
    ['pipeline', 'receiver', 'worker', 'adapter-kit', 'providers', 'stores', 'queues', 'archive'],
    'src/internal sits below every component.',
  ),
  layer(
    ['src/providers/**/*.ts'],
    ['pipeline', 'receiver', 'worker', 'adapter-kit', 'stores', 'queues', 'archive'],
    'Providers depend only on the kit, crypto and internal helpers.',
  ),
  layer(
    ['src/stores/**/*.ts'],
    ['pipeline', 'receiver', 'worker', 'adapter-kit', 'providers', 'queues', 'archive'],
    'A store never imports another component; share through src/internal.',
  ),
  layer(
    ['src/queues/**/*.ts'],
    ['pipeline', 'receiver', 'worker', 'adapter-kit', 'providers', 'stores', 'archive'],
    'A queue never imports a store, the receiver or the archive; share through src/internal.',
  ),
  layer(
    ['src/archive/**/*.ts'],
    ['pipeline', 'receiver', 'worker', 'adapter-kit', 'providers', 'stores', 'queues'],
    'The archive never imports stores, queues or the receiver; share through src/internal.',
  ),
  layer(
    ['src/pipeline/**/*.ts'],
    ['receiver', 'worker', 'adapter-kit', 'stores', 'queues', 'archive', 'providers'],
    'Pipeline steps work on contracts (src/types) only.',
  ),
  layer(
    ['src/worker/**/*.ts'],
    ['receiver', 'adapter-kit', 'pipeline', 'stores', 'queues', 'providers'],
    'The worker runs on contracts; it never imports the receiver.',
  ),
  layer(['src/receiver/**/*.ts'], ['adapter-kit', 'providers'], 'The receiver sits below the adapter kit.'),
  {
    // The conformance suites are what users run against their own stores and queues: they test the
    // contracts in src/types, never the built-in implementations they are meant to judge.
    files: ['src/conformance/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: FRAMEWORKS, message: 'Nothing in src/ imports a web framework.' },
            { group: ['../*', '!../types', '!../types/*'], message: 'src/conformance imports src/types only.' },
          ],
        },
      ],
    },
  },
  {
    // A provider never imports another provider: shared code lives in the kit.
    files: ['src/providers/*.ts'],
    ignores: ['src/providers/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['./*', '!./kit', '!./kit/*', '!./shared.js', '!./internal/*'],
              message: 'A provider never imports another provider; share through src/providers/kit.',
            },
            {
              group: [
                '../pipeline/*',
                '../receiver/*',
                '../worker/*',
                '../adapter-kit/*',
                '../stores/*',
                '../queues/*',
                '../archive/*',
              ],
              message: 'Providers depend only on the kit, crypto and internal helpers.',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters are thin: they use the adapter kit and the public contracts, nothing deeper.
    files: ['adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../src/*', '!../src/adapter-kit', '!../src/receiver', '!../src/types', '!../src/errors.js'],
              message: 'Adapters only use src/adapter-kit, src/receiver, src/types and src/errors.',
            },
          ],
        },
      ],
    },
  },
)
