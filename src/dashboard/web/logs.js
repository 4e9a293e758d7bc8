// Live logs (`tocker logs -f`): GET /containers/{id}/logs?follow=1, demultiplexed into stdout and
// stderr (stderr in red). When the container stops the stream ends; when it starts again, the
// logs go on from that moment.
import { call, streamChunks } from './api.js'
import { h } from './dom.js'
import { t } from './i18n.js'

const MAX_CHARS = 2_000_000

export function logsTab(el, ctx) {
  const pre = h('pre', { class: 'logs', id: 'logs' })
  el.append(pre)
  let abort
  const follow = async (query) => {
    abort?.abort()
    abort = new AbortController()
    const decoders = { 1: new TextDecoder(), 2: new TextDecoder() }
    try {
      const res = await call('GET', `/containers/${encodeURIComponent(ctx.id)}/logs`, { query: { follow: 1, stdout: 1, stderr: 1, ...query }, signal: abort.signal })
      for await (const { stream, data } of streamChunks(res)) {
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20
        const text = decoders[stream === 2 ? 2 : 1].decode(data, { stream: true })
        pre.append(stream === 2 ? h('span', { class: 'err' }, text) : text)
        if (pre.textContent.length > MAX_CHARS) pre.firstChild?.remove()
        if (atBottom) pre.scrollTop = pre.scrollHeight
      }
      pre.append(h('span', { class: 'note' }, `\n${t('logsEnded')}\n`))
    } catch (err) {
      if (err.name !== 'AbortError') pre.append(h('span', { class: 'err' }, `\n${err.message}\n`))
    }
  }
  follow({ tail: 1000 })
  return {
    event(e) {
      if (e.Action === 'start') follow({ since: e.time })
    },
    unmount: () => abort?.abort(),
  }
}
