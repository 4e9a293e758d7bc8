// The containers view (Docker Desktop's "Containers", `tocker ps -a`): name, image, status, ports
// as links to the published port, created; start/stop, restart, delete.
import { call } from './api.js'
import { showError } from './banner.js'
import { clear, h } from './dom.js'
import { ago, containerName, publishedPorts } from './format.js'
import { t } from './i18n.js'
import { onChange, state } from './state.js'

/** Links to a container's published ports, on the host name the page was opened with. */
export function portLinks(ports) {
  return publishedPorts(ports).map((p) =>
    h(
      'a',
      { href: `http://${location.hostname}:${p.PublicPort}/`, target: '_blank', rel: 'noopener noreferrer', class: 'port', dataset: { port: String(p.PublicPort) } },
      `${p.PublicPort}:${p.PrivatePort}/${p.Type}`,
    )
  )
}

/** Start, stop, restart, delete: the same API calls as `tocker start|stop|restart|rm -f`. */
export async function act(action, c) {
  const id = encodeURIComponent(c.Id)
  try {
    if (action === 'delete') {
      if (!confirm(t('confirmDeleteContainer', { name: containerName(c) }))) return false
      await call('DELETE', `/containers/${id}`, { query: { force: 1 } })
    } else await call('POST', `/containers/${id}/${action}`)
    return true
  } catch (err) {
    if (!err.engineDown && !err.needsToken) showError(err.message)
    return false
  }
}

export function actionButtons(c, after) {
  const running = c.State === 'running' || c.State?.Running === true
  const button = (action, label, cls) =>
    h(
      'button',
      {
        type: 'button',
        class: cls,
        dataset: { action },
        onclick: async (ev) => {
          ev.currentTarget.disabled = true
          await act(action, c)
          after?.(action)
        },
      },
      label,
    )
  return [running ? button('stop', t('stop')) : button('start', t('start')), button('restart', t('restart')), button('delete', t('delete'), 'danger')]
}

export function containersView(el) {
  const body = h('tbody')
  el.append(
    h('h1', {}, t('containers')),
    h(
      'table',
      { id: 'containers' },
      h('thead', {}, h('tr', {}, h('th', {}, t('name')), h('th', {}, t('image')), h('th', {}, t('status')), h('th', {}, t('ports')), h('th', {}, t('created')), h('th', {}, ''))),
      body,
    ),
  )
  const render = () => {
    clear(body)
    if (!state.containers.length) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('none'))))
    for (const c of state.containers) {
      const name = containerName(c)
      body.append(
        h(
          'tr',
          { dataset: { id: c.Id, name } },
          h('td', {}, h('a', { href: `#/containers/${encodeURIComponent(c.Id)}/logs`, class: 'name' }, name)),
          h('td', { class: 'mono' }, c.Image),
          h('td', {}, h('span', { class: `state ${c.State}` }, c.Status)),
          h('td', {}, portLinks(c.Ports).flatMap((a, i) => (i ? [' ', a] : [a]))),
          h('td', {}, ago(c.Created)),
          h('td', { class: 'actions' }, actionButtons(c)),
        ),
      )
    }
  }
  render()
  const off = onChange((what) => (what === 'containers' || what === 'ready') && render())
  return { unmount: off }
}
