import { defineConfig } from 'vitepress'

export default defineConfig({
  title: 'hookguard',
  description: 'Receive webhooks safely: verify, dedupe, queue, then 2xx — and see and replay what arrived.',
  cleanUrls: true,
  lastUpdated: false,
  // Everything is served from here: no CDN, no external fonts.
  head: [['meta', { name: 'theme-color', content: '#1f6feb' }]],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Providers', link: '/providers/' },
      { text: 'Reference', link: '/reference/errors' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/': [
        {
          text: 'Guide',
          items: [
            { text: 'Getting started', link: '/guide/getting-started' },
            { text: 'How it works', link: '/guide/how-it-works' },
            { text: 'Stores and queues', link: '/guide/stores-and-queues' },
            { text: 'Routing, types and ordering', link: '/guide/events' },
            { text: 'Archive and replay', link: '/guide/archive-and-replay' },
            { text: 'Observability', link: '/guide/observability' },
            { text: 'CLI', link: '/guide/cli' },
            { text: 'Inspector', link: '/guide/inspector' },
            { text: 'Testing your endpoint', link: '/guide/testing' },
            { text: 'Going to production', link: '/guide/production' },
            { text: 'Scaling out', link: '/guide/scaling' },
            { text: 'Crash windows', link: '/guide/crash-windows' },
            { text: 'Security', link: '/guide/security' },
            { text: 'Benchmarks', link: '/guide/benchmarks' },
          ],
        },
        {
          text: 'Frameworks',
          items: [
            { text: 'Express', link: '/frameworks/express' },
            { text: 'Koa', link: '/frameworks/koa' },
            { text: 'Hono', link: '/frameworks/hono' },
            { text: 'Fastify', link: '/frameworks/fastify' },
            { text: 'node:http', link: '/frameworks/node' },
            { text: 'Fetch (Next.js, Workers, Bun, Deno)', link: '/frameworks/fetch' },
          ],
        },
        {
          text: 'Recipes',
          items: [
            { text: 'NestJS', link: '/recipes/nestjs' },
            { text: 'Next.js', link: '/recipes/nextjs' },
            { text: 'Cloudflare Workers', link: '/recipes/workers' },
            { text: 'bull-board', link: '/recipes/bull-board' },
            { text: 'Out-of-order events', link: '/recipes/ordering' },
            { text: 'Multi-tenant receivers', link: '/recipes/multi-tenant' },
          ],
        },
        {
          text: 'Reference',
          items: [
            { text: 'Providers', link: '/providers/' },
            { text: 'Error codes', link: '/reference/errors' },
            { text: 'Status contract', link: '/reference/status-contract' },
            { text: 'API (TypeDoc)', link: '/api/' },
          ],
        },
      ],
    },
    search: { provider: 'local' },
    socialLinks: [],
  },
})
