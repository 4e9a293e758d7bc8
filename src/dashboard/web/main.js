// The dashboard page: a header (views, engine status, language), a banner for errors, and one view
// at a time chosen by the address (#/containers, #/images, #/containers/<id>/<tab>). The lists are
// refreshed from the engine's event stream (GET /events), which stays open while the page is.
import { call, jsonLines, onTrouble, setToken, takeTokenFromAddress, token } from './api.js'
import { h, clear } from './dom.js'
import { lang, loadMessages, setLang, t, translateStatic } from './i18n.js'
import { changed, loadContainers, loadImages } from './state.js'
import { clearError, engineIsUp, setEngine, showError } from './banner.js'
import { containersView } from './containers.js'
import { imagesView } from './images.js'
import { containerView } from './container.js'

const viewEl = document.getElementById('view')
let current // { route, view }
let stopped = false

onTrouble((err) => {
  if (err.needsToken) return showTokenPage()
  if (err.engineDown) setEngine(false, err.message)
})

// ---- the token page (no token, or a stale one from an earlier `tocker dashboard`) ----
function showTokenPage() {
  if (stopped) return
  stopped = true
  current?.view.unmount?.()
  current = undefined
  const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off' })
  clear(
    viewEl,
    h(
      'div',
      { class: 'panel token-page', id: 'token-page' },
      h('h1', {}, t('tokenNeeded')),
      h('p', {}, t('tokenHelp')),
      input,
      h('button', { type: 'button', class: 'primary', onclick: () => (setToken(input.value.trim()), location.reload()) }, t('tokenUse')),
    ),
  )
}

// ---- routing ----
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent)
  if (parts[0] === 'images') return { name: 'images' }
  if (parts[0] === 'containers' && parts[1]) return { name: 'container', id: parts[1], tab: parts[2] ?? 'logs' }
  return { name: 'containers' }
}

function show() {
  if (stopped) return
  const r = route()
  // An error belongs to the view it happened in (the engine-down one stays until it is up).
  if (!document.getElementById('banner').dataset.persistent) clearError()
  document.getElementById('nav-containers').classList.toggle('active', r.name !== 'images')
  document.getElementById('nav-images').classList.toggle('active', r.name === 'images')
  if (current && current.route.name === r.name && current.route.id === r.id && current.view.route) {
    current.route = r
    return current.view.route(r)
  }
  current?.view.unmount?.()
  clear(viewEl)
  const make = { containers: containersView, images: imagesView, container: containerView }[r.name]
  current = { route: r, view: make(viewEl, r) }
}

// ---- events: the only thing that makes the page ask the engine again ----
let pending = new Set()
let timer
function schedule(what) {
  pending.add(what)
  clearTimeout(timer)
  timer = setTimeout(async () => {
    const now = pending
    pending = new Set()
    try {
      await Promise.all([now.has('containers') && loadContainers(), now.has('images') && loadImages()])
    } catch (err) {
      if (!err.engineDown && !err.needsToken) showError(err.message)
    }
  }, 100)
}

function onEvent(e) {
  if (e.Type === 'container') {
    // exec_create/exec_start/exec_die and the like change nothing the lists show.
    if (!/^(exec_|top|attach|resize)/.test(e.Action)) schedule('containers')
    current?.view.event?.(e)
  } else if (e.Type === 'image') {
    schedule('images')
    // An image removed or pulled changes which containers' images are named.
    if (e.Action === 'delete' || e.Action === 'untag') schedule('containers')
  }
}

async function followEvents() {
  let delay = 1000
  let first = true
  while (!stopped) {
    try {
      const res = await call('GET', '/events')
      setEngine(true)
      delay = 1000
      // After a break, what happened meanwhile is unknown: read the lists again.
      if (!first) {
        schedule('containers')
        schedule('images')
      }
      first = false
      for await (const e of jsonLines(res)) onEvent(e)
      setEngine(false)
    } catch (err) {
      if (err.needsToken) return
    }
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(delay * 2, 10_000)
  }
}

// ---- start ----
async function boot() {
  takeTokenFromAddress()
  // The printed address pasted into a tab that is already open: only the fragment changes, which
  // loads nothing; start again with the new token.
  window.addEventListener('hashchange', () => takeTokenFromAddress() && location.reload())
  await loadMessages()
  translateStatic()
  const langButton = document.getElementById('lang')
  langButton.textContent = t('language')
  langButton.addEventListener('click', () => {
    setLang(lang() === 'ko' ? 'en' : 'ko')
    langButton.textContent = t('language')
    translateStatic()
    setEngine(engineIsUp())
    current?.view.unmount?.()
    current = undefined
    show()
  })
  if (!token()) return showTokenPage()
  window.addEventListener('hashchange', show)
  show()
  try {
    await Promise.all([loadContainers(), loadImages()])
    setEngine(true)
  } catch (err) {
    if (!err.engineDown && !err.needsToken) showError(err.message)
  }
  if (stopped) return
  // The first render with the engine's data (the benchmark reads this mark).
  performance.mark('tocker-first-render')
  document.body.dataset.ready = '1'
  changed('ready')
  followEvents()
}

boot()
