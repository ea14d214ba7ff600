/**
 * GitHub handlers by event and action, on Hono (Node through
 * @hono/node-server). hookguard names a GitHub delivery `<event>.<action>`
 * when the payload has an action (`issues.opened`), else `<event>` (`push`);
 * each handler gets octokit's payload type for it (`@octokit/webhooks-types`).
 *
 * Run: GITHUB_WEBHOOK_SECRET=... PORT=3000 npx tsx examples/events/github-handlers.ts
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createReceiver, github } from 'hookguard'
import { hookguard } from 'hookguard/hono'

const secret = process.env.GITHUB_WEBHOOK_SECRET
if (!secret) {
  console.error("Set GITHUB_WEBHOOK_SECRET to the webhook's secret (repository or app settings → Webhooks → Secret).")
  process.exit(1)
}

const receiver = createReceiver({
  provider: github({ secret }),
  handlers: {
    'issues.opened': async (event) => {
      const { issue, repository } = event.payload // IssuesOpenedEvent
      console.log(`[handler] issues.opened ${repository.full_name}#${issue.number} ${issue.title}`)
    },
    'pull_request.*': async (event) => {
      const { pull_request: pr } = event.payload // every pull_request action
      console.log(`[handler] ${event.type} #${pr.number} ${pr.state}`)
    },
    push: async (event) => {
      console.log(`[handler] push ${event.payload.ref} ${event.payload.commits.length} commits`)
    },
    '*': async (event) => {
      console.log(`[handler] other ${event.type} ${event.id}`)
    },
  },
})

const app = new Hono()
app.post('/webhooks/github', hookguard(receiver))

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port} (POST /webhooks/github)`)
})
process.on('SIGTERM', () => server.close(() => void receiver.close()))
