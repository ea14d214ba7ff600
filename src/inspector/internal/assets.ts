/**
 * Internal: the page's stylesheet (inlined under the CSP nonce) and its one
 * script (served as a file under the same nonce). Both are small and local:
 * no CDN, no web fonts. The script only improves the page — local times, a
 * live-refresh switch, copy-as-JSON, one submit per Replay click — and never
 * writes markup: only `textContent` and attributes it chooses.
 *
 * @module
 */

export const STYLE = `
:root { color-scheme: light dark; --fg: #1d232b; --muted: #5d6875; --bg: #fff; --panel: #f5f7f9; --line: #d9dee4;
  --accent: #2458d6; --ok: #1f8a4c; --warn: #b26a00; --bad: #c62f2f; --info: #5a4fcf; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e8ee; --muted: #9aa5b2; --bg: #14181d; --panel: #1c2229;
  --line: #2d3640; --accent: #7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top h1 { font-size: 16px; margin: 0; }
header.top .mode { color: var(--muted); font-size: 12px; }
main { padding: 16px 20px 40px; max-width: 1400px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h2 { font-size: 15px; margin: 20px 0 8px; }
.muted { color: var(--muted); }
.mono, code, pre, td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td { max-width: 320px; overflow-wrap: anywhere; unicode-bidi: isolate; }
tr.row:hover { background: var(--panel); }
td.nowrap { white-space: nowrap; overflow-wrap: normal; }
.badge { white-space: nowrap; display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; color: #fff; background: var(--muted); }
.o-accepted { background: var(--ok); } .o-duplicate { background: #2f7fb5; } .o-rejected { background: var(--bad); }
.o-unavailable { background: var(--warn); } .o-in_flight { background: var(--info); } .o-handshake, .o-ignored { background: #6b7785; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 12px 0; padding: 10px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
button { cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: var(--panel); }
.chart > svg { width: 100%; height: auto; display: block; }
.chart > svg text { fill: var(--muted); font-size: 10px; }
.legend { display: flex; flex-wrap: wrap; gap: 10px; font-size: 12px; margin-top: 6px; }
.legend svg { vertical-align: -1px; margin-right: 2px; }
.totals { display: flex; flex-wrap: wrap; gap: 18px; margin: 6px 0 4px; }
.totals b { font-size: 18px; display: block; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; unicode-bidi: isolate; }
pre.body { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; max-height: 70vh; white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; }
.notice { padding: 8px 12px; border-radius: 6px; margin: 10px 0; border: 1px solid var(--line); background: var(--panel); }
.notice.error { border-color: var(--bad); }
.pager { display: flex; gap: 16px; margin-top: 12px; }
.actions { display: flex; gap: 10px; align-items: center; margin: 12px 0; }
`

export const SCRIPT = `'use strict'
;(() => {
  for (const element of document.querySelectorAll('time[datetime]')) {
    const date = new Date(element.getAttribute('datetime'))
    if (Number.isNaN(date.getTime())) continue
    element.title = element.getAttribute('datetime')
    element.textContent = date.toLocaleString()
  }
  const live = document.getElementById('hg-live')
  if (live) {
    live.hidden = false
    const box = live.querySelector('input')
    box.checked = sessionStorage.getItem('hookguard-live') === '1'
    box.addEventListener('change', () => sessionStorage.setItem('hookguard-live', box.checked ? '1' : '0'))
    setInterval(() => { if (box.checked) location.reload() }, 5000)
  }
  const data = document.getElementById('hg-record')
  const copy = document.getElementById('hg-copy')
  if (data && copy) {
    copy.hidden = false
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(JSON.stringify(JSON.parse(data.textContent), null, 2))
        copy.textContent = 'Copied'
      } catch {
        copy.textContent = 'Copy failed'
      }
    })
  }
  for (const form of document.querySelectorAll('form[data-once]')) {
    form.addEventListener('submit', () => {
      for (const button of form.querySelectorAll('button')) button.disabled = true
    })
  }
})()
`
