// One container (Docker Desktop's container page): its name, image, status and ports with the
// actions, then tabs: logs (follow), a terminal (exec), the x-ray of its kernel side, inspect.
import { json } from './api.js'
import { showError } from './banner.js'
import { clear, h } from './dom.js'
import { containerName } from './format.js'
import { t } from './i18n.js'
import { actionButtons, portLinks } from './containers.js'
import { logsTab } from './logs.js'
import { terminalTab } from './terminal.js'
import { xrayTab } from './xray.js'
import { onChange, state } from './state.js'

const TABS = ['logs', 'terminal', 'xray', 'inspect']

function inspectTab(el, c) {
  el.append(h('pre', { class: 'json', id: 'inspect' }, JSON.stringify(c.inspect, null, 2)))
  return {}
}

export function containerView(el, route) {
  const head = h('div', { class: 'head' })
  const tabs = h('nav', { class: 'tabs' })
  const pane = h('div', { id: 'pane' })
  el.append(h('p', {}, h('a', { href: '#/containers' }, `← ${t('back')}`)), head, tabs, pane)
  let tab // { name, view }
  let inspect
  const c = () => state.containers.find((x) => x.Id === route.id) ?? { Id: route.id, Names: [], State: inspect?.State?.Status }

  const renderHead = () => {
    const s = c()
    const running = inspect?.State?.Running ?? s.State === 'running'
    clear(
      head,
      h('h1', { id: 'container-name' }, containerName(inspect ? { Name: inspect.Name, Id: inspect.Id } : s)),
      h('span', { class: 'mono muted' }, s.Image ?? inspect?.Config?.Image ?? ''),
      h('span', { class: `state ${running ? 'running' : (inspect?.State?.Status ?? s.State)}`, id: 'container-status' }, s.Status ?? inspect?.State?.Status ?? ''),
      h('span', { id: 'container-ports' }, portLinks(s.Ports)),
      h('span', { class: 'buttons' }, actionButtons({ ...s, State: running ? 'running' : 'exited' }, (action) => action === 'delete' && (location.hash = '#/containers'))),
    )
    clear(tabs, TABS.map((name) => h('a', { href: `#/containers/${encodeURIComponent(route.id)}/${name}`, class: name === route.tab ? 'active' : '', dataset: { tab: name } }, t(name))))
  }

  const openTab = () => {
    if (tab?.name === route.tab) return
    tab?.view.unmount?.()
    clear(pane)
    const ctx = { id: route.id, inspect, name: containerName(inspect ? { Name: inspect.Name, Id: inspect.Id } : c()) }
    const make = { logs: logsTab, terminal: terminalTab, xray: xrayTab, inspect: inspectTab }[route.tab] ?? logsTab
    tab = { name: route.tab, view: make(pane, ctx) }
  }

  const load = async () => {
    try {
      inspect = await json('GET', `/containers/${encodeURIComponent(route.id)}/json`)
      route.id = inspect.Id
    } catch (err) {
      if (!err.engineDown && !err.needsToken) showError(err.message)
      return
    }
    renderHead()
    tab = undefined
    openTab()
  }
  load()

  const off = onChange((what) => {
    if (what !== 'containers') return
    if (!state.containers.some((x) => x.Id === route.id)) return void (location.hash = '#/containers')
    renderHead()
  })
  return {
    route(r) {
      route = r
      renderHead()
      if (inspect) openTab()
    },
    /** A container event (start, die, …) for this one: its inspect and the open tab learn it. */
    async event(e) {
      if (e.Actor?.ID !== route.id || /^exec_/.test(e.Action)) return
      if (e.Action === 'destroy') return
      try {
        inspect = await json('GET', `/containers/${encodeURIComponent(route.id)}/json`)
      } catch {
        return
      }
      renderHead()
      tab?.view.event?.(e, inspect)
    },
    unmount() {
      off()
      tab?.view.unmount?.()
    },
  }
}
