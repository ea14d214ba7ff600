/**
 * `hookguard sign`: a correctly signed delivery, printed as headers and a
 * ready-to-run curl command. The secret is never printed: a header that
 * carries it (GitLab's token) is written as `${NAME}` when the secret came
 * from `env:NAME`, else as a placeholder.
 *
 * @module
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { utf8Text } from '../../internal/display.js'
import { stringValue } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import {
  DELIVERY_HELP,
  DELIVERY_OPTIONS,
  hideSecrets,
  signDelivery,
  type SignedDelivery,
} from '../internal/delivery.js'
import { EXIT, UsageError } from '../internal/errors.js'
import { shown } from '../internal/output.js'
import { PROVIDER_HELP, PROVIDER_OPTIONS } from '../internal/providers.js'
import { bodyField } from '../internal/records.js'

const SECRET_PLACEHOLDER = '<secret>'

/** POSIX single quotes: everything literal. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** Double quotes around text that holds `${NAME}` references, everything else literal. */
function quoteWithVariables(parts: Array<{ literal: string } | { env: string }>): string {
  const body = parts
    .map((part) => ('env' in part ? `\${${part.env}}` : part.literal.replace(/[\\"$`]/g, (c) => `\\${c}`)))
    .join('')
  return `"${body}"`
}

function headerArgument(name: string, value: string, delivery: SignedDelivery): string {
  const { hid } = hideSecrets(value, delivery.built.secrets, () => '')
  if (!hid) return quote(`${name}: ${value}`)
  const parts: Array<{ literal: string } | { env: string }> = [{ literal: `${name}: ` }]
  let rest = value
  for (const secret of delivery.built.secrets) {
    if (secret.value.length < 4 || !rest.includes(secret.value)) continue
    const pieces = rest.split(secret.value)
    rest = pieces.pop()!
    for (const piece of pieces)
      parts.push({ literal: piece }, secret.env ? { env: secret.env } : { literal: SECRET_PLACEHOLDER })
  }
  parts.push({ literal: rest })
  return quoteWithVariables(parts)
}

function bodyArgument(delivery: SignedDelivery, out: string | undefined): string {
  if (out !== undefined) return `--data-binary @${quote(out)}`
  const unchanged = Buffer.from(delivery.body).equals(Buffer.from(delivery.original))
  if (delivery.source.kind === 'file' && unchanged) return `--data-binary @${quote(delivery.source.path)}`
  const text = utf8Text(delivery.body)
  if (text === undefined || text.includes('\u0000'))
    throw new UsageError('the signed body is binary: pass --out FILE to write it for curl')
  return `--data-binary ${quote(text)}`
}

export function curlCommand(delivery: SignedDelivery, out?: string): string {
  const lines = [`curl -sS -X POST ${quote(delivery.url)}`]
  for (const [name, value] of Object.entries(delivery.headers))
    lines.push(`  -H ${headerArgument(name, value, delivery)}`)
  lines.push(`  ${bodyArgument(delivery, out)}`)
  return lines.join(' \\\n')
}

/** Headers for display: a header carrying a secret shows where it comes from instead. */
export function printableHeaders(delivery: SignedDelivery): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(delivery.headers)) {
    headers[name] = hideSecrets(value, delivery.built.secrets, (s) =>
      s.env ? `\${${s.env}}` : SECRET_PLACEHOLDER,
    ).text
  }
  return headers
}

export const sign: Command = {
  name: 'sign',
  summary: 'sign a delivery and print its headers and a curl command',
  options: {
    ...PROVIDER_OPTIONS,
    ...DELIVERY_OPTIONS,
    url: { type: 'string', short: 'u' },
    out: { type: 'string', short: 'o' },
  },
  help: `Usage: hookguard sign --provider NAME --secret env:NAME (--body FILE | --fixture NAME) [options]

Signs a delivery the way the provider does and prints the headers and a
curl command that sends it. The secret is never printed.

${PROVIDER_HELP}

${DELIVERY_HELP}

Output:
  -u, --url URL            the receiving URL (signed by twilio and square; default http://localhost:3000/webhooks/<provider>)
  -o, --out FILE           also write the signed body to FILE (curl then reads it from there)
      --json               {"method","url","headers","body","bodyEncoding","curl"}

Example:
  hookguard sign --provider stripe --secret env:STRIPE_WEBHOOK_SECRET --body event.json \\
    --url https://example.com/webhooks/stripe`,
  async run(parsed, { io, out: output, now }) {
    if (parsed.positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`)
    const { values } = parsed
    const provider = stringValue(values, 'provider') ?? stringValue(values, 'fixture') ?? 'provider'
    const url = stringValue(values, 'url') ?? `http://localhost:3000/webhooks/${provider}`
    if (!/^https?:\/\/[^/\s]+/i.test(url))
      throw new UsageError(`--url must be an absolute http(s) URL (got ${JSON.stringify(url)})`)
    const delivery = await signDelivery(values, io, url, now)
    const outFile = stringValue(values, 'out')
    if (outFile !== undefined) writeFileSync(resolve(io.cwd, outFile), delivery.body)
    const curl = curlCommand(delivery, outFile)
    const headers = printableHeaders(delivery)
    if (output.json) {
      output.value({ method: 'POST', url: delivery.url, headers, ...bodyField(delivery.body), curl })
      return EXIT.ok
    }
    output.line(`# POST ${shown(delivery.url)}`)
    for (const [name, value] of Object.entries(headers)) output.line(`${name}: ${shown(value)}`)
    output.line()
    output.line(curl)
    return EXIT.ok
  },
}
