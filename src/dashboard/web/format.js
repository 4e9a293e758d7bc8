// How the CLI prints things, so the page and `tocker ps`/`tocker images` read alike.

/** Docker's units.HumanSize: decimal units, 3 significant digits ("4.26MB"). */
export function humanSize(bytes) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let i = 0
  let n = Number(bytes) || 0
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000
    i++
  }
  return `${Number(n.toPrecision(3))}${units[i]}`
}

import { lang } from './i18n.js'

const KO_UNITS = { second: '초', minute: '분', hour: '시간', day: '일', week: '주', month: '개월', year: '년' }

/** Docker's "About a minute ago", "3 hours ago" (in Korean: "3시간 전"). */
export function ago(unixSeconds, now = Date.now()) {
  const en = agoEnglish(unixSeconds, now)
  if (lang() !== 'ko') return en
  if (en.startsWith('Less than')) return '방금 전'
  const m = /^(?:About an? |(\d+) )(second|minute|hour|day|week|month|year)s? ago$/.exec(en)
  return m ? `${m[1] ?? 1}${KO_UNITS[m[2]]} 전` : en
}

function agoEnglish(unixSeconds, now) {
  const s = Math.max(0, Math.round(now / 1000 - unixSeconds))
  if (s < 1) return 'Less than a second ago'
  if (s < 60) return `${s} seconds ago`
  const m = Math.round(s / 60)
  if (m === 1) return 'About a minute ago'
  if (m < 60) return `${m} minutes ago`
  const hrs = Math.round(s / 3600)
  if (hrs === 1) return 'About an hour ago'
  if (hrs < 48) return `${hrs} hours ago`
  const d = Math.round(s / 86400)
  if (d < 14) return `${d} days ago`
  if (d < 60) return `${Math.round(d / 7)} weeks ago`
  if (d < 730) return `${Math.round(d / 30)} months ago`
  return `${Math.round(d / 365)} years ago`
}

export const shortId = (id) => String(id ?? '').replace(/^sha256:/, '').slice(0, 12)

/** "busybox:latest" → {fromImage, tag}, as Docker's CLI splits a reference for POST /images/create. */
export function splitReference(ref) {
  const at = ref.indexOf('@')
  if (at >= 0) return { fromImage: ref.slice(0, at), tag: ref.slice(at + 1) }
  const colon = ref.lastIndexOf(':')
  if (colon > ref.lastIndexOf('/')) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) }
  return { fromImage: ref, tag: 'latest' }
}

/** A container's published ports, one per host port (Docker lists 0.0.0.0 and :: separately). */
export function publishedPorts(ports) {
  const seen = new Map()
  for (const p of ports ?? []) {
    if (!p.PublicPort) continue
    const key = `${p.PublicPort}/${p.Type}`
    if (!seen.has(key)) seen.set(key, p)
  }
  return [...seen.values()]
}

/** The name Docker shows ("/web" → "web"). */
export const containerName = (c) => (c.Names?.[0] ?? c.Name ?? '').replace(/^\//, '') || shortId(c.Id)
