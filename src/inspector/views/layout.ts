/**
 * The page around every view: the stylesheet and the script under the
 * response's CSP nonce, and nothing from elsewhere.
 *
 * @module
 */
import { STYLE } from '../internal/assets.js'
import { constantMarkup, markup, type Html } from '../internal/html.js'

export interface PageContext {
  title: string
  nonce: string
  allowReplay: boolean
}

export function page(context: PageContext, heading: string, content: Html): string {
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${heading} · ${context.title}</title>
<style nonce="${context.nonce}">${constantMarkup(STYLE)}</style>
</head>
<body>
<header class="top"><h1><a href="?">${context.title}</a></h1><span class="mode">${context.allowReplay ? 'replay enabled' : 'read-only'}</span></header>
<main>
${content}
</main>
<script nonce="${context.nonce}" src="?asset=app.js"></script>
</body>
</html>
`.text
}
