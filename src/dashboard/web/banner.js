// The error banner under the header (one message at a time, Docker's words first) and the engine's
// status light.
import { clear, h } from './dom.js'
import { t } from './i18n.js'

export function showError(message, { persistent = false, hint } = {}) {
  const el = document.getElementById('banner')
  el.className = ''
  el.hidden = false
  clear(el, h('b', {}, `${t('error')}: `), h('span', { id: 'banner-message' }, message), hint ? h('div', { class: 'muted' }, hint) : null)
  if (!persistent) el.append(h('button', { type: 'button', onclick: () => (el.hidden = true) }, t('dismiss')))
  el.dataset.persistent = persistent ? '1' : ''
}

export function clearError() {
  document.getElementById('banner').hidden = true
}

export function setEngine(up, message) {
  const el = document.getElementById('engine')
  const wasDown = el.classList.contains('down')
  el.className = `engine ${up ? 'up' : 'down'}`
  document.getElementById('engine-text').textContent = up ? t('engineUp') : t('engineDown')
  el.title = message ?? ''
  const banner = document.getElementById('banner')
  if (up && wasDown && banner.dataset.persistent) banner.hidden = true
  if (!up) showError(message ?? t('engineDown'), { persistent: true, hint: t('engineDownHint') })
}

export const engineIsUp = () => document.getElementById('engine').classList.contains('up')
