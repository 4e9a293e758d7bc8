// The page's files: src/dashboard/web/ as written (plain ES modules and CSS, no build step), and
// xterm.js's own ES module and stylesheet from node_modules. Read once at start (about 400 KB).
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { extname, join } from 'node:path'
import { packagePath } from '../package-root.js'
import { MESSAGES } from '../i18n/messages.js'
import type { Lang } from '../i18n/index.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

export interface Asset {
  type: string
  body: Buffer
}

/** The page's sources stay in src/dashboard/web/ (this file runs from dist/). */
const WEB_DIR = packagePath('src', 'dashboard', 'web')

/** The catalogue's dashboard.* sentences, both languages, for the page (i18n.js). */
export function pageMessages(defaultLang: Lang): Record<string, unknown> {
  const en: Record<string, string> = {}
  const ko: Record<string, string> = {}
  for (const [key, text] of Object.entries(MESSAGES)) {
    if (!key.startsWith('dashboard.')) continue
    const k = key.slice('dashboard.'.length)
    en[k] = text.en
    ko[k] = (text as { ko?: string }).ko ?? text.en
  }
  return { default: defaultLang, en, ko }
}

export function loadAssets(defaultLang: Lang): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  const add = (path: string, file: string) => assets.set(path, { type: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) })
  for (const name of readdirSync(WEB_DIR)) add(`/${name}`, join(WEB_DIR, name))
  assets.set('/', assets.get('/index.html')!)
  const require = createRequire(import.meta.url)
  add('/vendor/xterm.mjs', require.resolve('@xterm/xterm/lib/xterm.mjs'))
  add('/vendor/xterm.css', require.resolve('@xterm/xterm/css/xterm.css'))
  add('/vendor/addon-fit.mjs', require.resolve('@xterm/addon-fit/lib/addon-fit.mjs'))
  assets.set('/i18n.json', { type: TYPES['.json'], body: Buffer.from(JSON.stringify(pageMessages(defaultLang))) })
  return assets
}
