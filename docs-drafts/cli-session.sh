#!/usr/bin/env bash
# Produces the terminal session in docs-drafts/cli.md by really running the
# commands: a small Stripe receiver (SQLite store, queue and archive) is
# started in the current folder, which must have hookguard and better-sqlite3
# installed; then each command is printed after a "$ " and run.
#   cd my-project && bash path/to/cli-session.sh > session.txt
set -uo pipefail
# The project's own hookguard, as `npx hookguard` would run it.
export PATH="$PWD/node_modules/.bin:$PATH"
export STRIPE_WEBHOOK_SECRET=whsec_docs_session_5f3a9c0e7b2d4816
rm -f webhooks.db webhooks.db-wal webhooks.db-shm
cat > server.mjs <<'JS'
import { createServer } from 'node:http'
import { createReceiver, stripe } from 'hookguard'
import { hookguard } from 'hookguard/node'
import { sqliteArchive, sqliteQueue, sqliteStore } from 'hookguard/sqlite'

const path = 'webhooks.db'
const receiver = createReceiver({
  provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET }),
  store: sqliteStore({ path }),
  queue: sqliteQueue({ path, attempts: 3, backoffMs: 100 }),
  archive: sqliteArchive({ path }),
  logger: false,
  handler: async (event) => {
    if (event.type === 'invoice.payment_failed') throw new Error('billing service unreachable')
  },
})
createServer(hookguard(receiver)).listen(3000, '127.0.0.1')
JS
node server.mjs & SERVER=$!
trap 'kill $SERVER' EXIT
sleep 1

run() {
  printf '$ %s\n' "$*"
  eval "$@"
  local code=$?
  [ "$code" -ne 0 ] && printf '(exit %s)\n' "$code"
  printf '\n'
}

# Runs a long-running command for a few seconds, then presses Ctrl-C (SIGINT).
run_then_ctrl_c() {
  local seconds=$1
  shift
  printf '$ %s\n' "$*"
  # Not through eval: its subshell would take the SIGINT instead of the command.
  "$@" &
  local pid=$!
  sleep "$seconds"
  kill -INT "$pid"
  wait "$pid"
  local code=$?
  printf '^C\n'
  [ "$code" -ne 0 ] && printf '(exit %s)\n' "$code"
  printf '\n'
}

cat > failed.json <<'JSON'
{"id":"evt_1QfailedInvoice","object":"event","type":"invoice.payment_failed","data":{"object":{"id":"in_1Qx","amount_due":4200}}}
JSON

run hookguard send --fixture list
run hookguard sign --fixture stripe --secret env:STRIPE_WEBHOOK_SECRET --id 3f9a1c2b7d4e5f60a1b2c3d4 --url http://localhost:3000/webhooks/stripe
run hookguard send http://localhost:3000/webhooks/stripe --fixture stripe --secret env:STRIPE_WEBHOOK_SECRET
run hookguard send http://localhost:3000/webhooks/stripe --provider stripe --body failed.json --secret env:STRIPE_WEBHOOK_SECRET
run WRONG=whsec_not_the_endpoint_secret_0000 hookguard send http://localhost:3000/webhooks/stripe --fixture stripe --secret env:WRONG
sleep 2
run hookguard stats --sqlite webhooks.db
run hookguard list --sqlite webhooks.db
OK=$(hookguard list --sqlite webhooks.db --outcome accepted --type payment_intent.succeeded --json | node -e 'process.stdin.on("data",d=>console.log(JSON.parse(d).items[0].deliveryId))')
run hookguard show "$OK" --sqlite webhooks.db
run hookguard replay "$OK" --sqlite webhooks.db --secret env:STRIPE_WEBHOOK_SECRET
run hookguard dead list --sqlite webhooks.db
run hookguard dead retry stripe:default:evt_1QfailedInvoice --sqlite webhooks.db
run hookguard list --sqlite webhooks.db --outcome rejected --json
(sleep 2; hookguard send http://localhost:3000/webhooks/stripe --fixture stripe --secret env:STRIPE_WEBHOOK_SECRET > /dev/null) &
run_then_ctrl_c 5 hookguard tail --sqlite webhooks.db -n 1 --interval 250
run_then_ctrl_c 2 hookguard inspect --sqlite webhooks.db --port 4000
run hookguard list --sqllite webhooks.db
run hookguard show 01NOSUCHDELIVERY0000000000 --sqlite webhooks.db
