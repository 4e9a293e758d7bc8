// The exec terminal: xterm.js in the page, a WebSocket to the dashboard server, which runs
// `sh` in the container with a real pty (POST /containers/{id}/exec with Tty, then the hijacked
// POST /exec/{id}/start: the same calls as `tocker exec -it NAME sh`). Bytes both ways; the page's
// size goes to the pty (POST /exec/{id}/resize) so full-screen programs fit.
import { Terminal } from '/vendor/xterm.mjs'
import { FitAddon } from '/vendor/addon-fit.mjs'
import { token } from './api.js'
import { h } from './dom.js'
import { t } from './i18n.js'

export function terminalTab(el, ctx) {
  if (!ctx.inspect?.State?.Running) {
    el.append(h('p', { class: 'muted', id: 'terminal-not-running' }, t('notRunning')))
    return {}
  }
  const box = h('div', { class: 'term', id: 'terminal' })
  const again = h('button', { type: 'button', id: 'terminal-new', hidden: true }, t('reconnect'))
  el.append(h('p', { class: 'muted' }, t('terminalNote', { name: ctx.name }), ' ', again), box)
  // No cursor blink: an idle terminal then costs no timer at all.
  const term = new Terminal({ cursorBlink: false, fontSize: 14, fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace", scrollback: 5000 })
  const fit = new FitAddon()
  term.loadAddon(fit)
  term.open(box)
  fit.fit()
  const enc = new TextEncoder()
  let ws

  const connect = () => {
    again.hidden = true
    const q = new URLSearchParams({ cols: term.cols, rows: term.rows })
    ws = new WebSocket(`ws://${location.host}/api/containers/${encodeURIComponent(ctx.id)}/terminal?${q}`, ['tocker-dashboard', `token.${token()}`])
    ws.binaryType = 'arraybuffer'
    let said = false
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') return term.write(new Uint8Array(m.data))
      const msg = JSON.parse(m.data)
      if ('exit' in msg) {
        said = true
        term.write(`\r\n\x1b[2m${t('terminalExited', { code: msg.exit ?? '?' })}\x1b[0m\r\n`)
      } else if (msg.error) {
        said = true
        term.write(`\r\n\x1b[31m${msg.error}\x1b[0m\r\n`)
      }
    }
    ws.onclose = (e) => {
      if (!said) term.write(`\r\n\x1b[2m${t('terminalClosed', { reason: e.reason || e.code })}\x1b[0m\r\n`)
      again.hidden = false
    }
    term.focus()
  }
  term.onData((d) => ws?.readyState === WebSocket.OPEN && ws.send(enc.encode(d)))
  term.onResize(({ cols, rows }) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ resize: [cols, rows] })))
  const onWindowResize = () => fit.fit()
  window.addEventListener('resize', onWindowResize)
  again.addEventListener('click', () => {
    term.reset()
    connect()
  })
  connect()
  return {
    unmount() {
      window.removeEventListener('resize', onWindowResize)
      ws?.close()
      term.dispose()
    },
  }
}
