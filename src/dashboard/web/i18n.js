// The page's words, in English and Korean, from the same catalogue as the CLI's (src/i18n/: the
// server sends its dashboard.* keys as /i18n.json). The language: the one chosen with the button,
// else the browser's (ko…), else the one `tocker dashboard` runs in.
const KEY = 'tocker.dashboard.lang'
let catalogue = { default: 'en', en: {}, ko: {} }
let current = 'en'

export async function loadMessages() {
  catalogue = await (await fetch('/i18n.json')).json()
  const chosen = localStorage.getItem(KEY)
  current = chosen === 'ko' || chosen === 'en' ? chosen : navigator.language?.toLowerCase().startsWith('ko') ? 'ko' : catalogue.default
  document.documentElement.lang = current
}

export const lang = () => current

export function setLang(l) {
  current = l
  localStorage.setItem(KEY, l)
  document.documentElement.lang = l
}

/** A sentence by its key (without "dashboard."), with {placeholders} filled. */
export function t(key, vars = {}) {
  const s = catalogue[current]?.[key] ?? catalogue.en?.[key] ?? key
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m))
}

/** The static labels of index.html (data-i18n="key"). */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n)
}
