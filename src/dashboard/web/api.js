// The page's way to the engine: the Docker Engine API itself, under /api on the dashboard's own
// origin (the dashboard server passes each call to the engine's unix socket). Every call carries
// the access token (Authorization: Bearer); the token comes from the address `tocker dashboard`
// printed (#token=…) and is kept in localStorage for this origin only.
const TOKEN_KEY = 'tocker.dashboard.token'

/** Take the token out of the address (so it is not left in the bar or in the history). */
export function takeTokenFromAddress() {
  const m = /(?:^#|[#&])token=([A-Za-z0-9_-]+)/.exec(location.hash)
  if (!m) return false
  localStorage.setItem(TOKEN_KEY, m[1])
  history.replaceState(null, '', `${location.pathname}#/containers`)
  return true
}

export const token = () => localStorage.getItem(TOKEN_KEY) ?? ''
export const setToken = (t) => localStorage.setItem(TOKEN_KEY, t)

export class ApiError extends Error {
  constructor(status, message, body = {}) {
    super(message)
    this.status = status
    this.engineDown = Boolean(body.engineDown)
    this.needsToken = status === 401
  }
}

/** Someone to tell when the token is missing or the engine is down (main.js). */
const listeners = new Set()
export const onTrouble = (f) => listeners.add(f)
const trouble = (err) => {
  for (const f of listeners) f(err)
}

function url(path, query) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return `/api${path}${s ? `?${s}` : ''}`
}

/** One call; resolves with the Response (body unread) or throws an ApiError with Docker's message. */
export async function call(method, path, { query, body, signal } = {}) {
  let res
  try {
    res = await fetch(url(path, query), {
      method,
      signal,
      headers: { Authorization: `Bearer ${token()}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
  } catch (err) {
    if (err.name === 'AbortError') throw err
    const e = new ApiError(0, `the dashboard server does not answer (${err.message}): is \`tocker dashboard\` still running?`, { engineDown: true })
    trouble(e)
    throw e
  }
  if (res.status >= 400) {
    const text = await res.text()
    let body = {}
    try {
      body = JSON.parse(text)
    } catch {
      body = { message: text }
    }
    const e = new ApiError(res.status, body.message ?? `HTTP ${res.status}`, body)
    if (e.needsToken || e.engineDown) trouble(e)
    throw e
  }
  return res
}

export async function json(method, path, opts) {
  const res = await call(method, path, opts)
  const text = await res.text()
  return text ? JSON.parse(text) : undefined
}

/** The lines of a JSON-lines stream (/events, a pull's progress), parsed, as they arrive. */
export async function* jsonLines(res) {
  const reader = res.body.getReader()
  const dec = new TextDecoder()
  let buf = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buf += dec.decode(value, { stream: true })
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      if (line) yield JSON.parse(line)
    }
  }
  if (buf.trim()) yield JSON.parse(buf)
}

/**
 * A logs/attach stream: Docker's multiplexed framing (8-byte header: stream 1 stdout / 2 stderr,
 * 3 zero bytes, big-endian length) unless the container has a TTY (raw bytes, all stdout).
 */
export async function* streamChunks(res) {
  const raw = res.headers.get('content-type') !== 'application/vnd.docker.multiplexed-stream'
  const reader = res.body.getReader()
  let buf = new Uint8Array(0)
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    if (raw) {
      yield { stream: 1, data: value }
      continue
    }
    const joined = new Uint8Array(buf.length + value.length)
    joined.set(buf)
    joined.set(value, buf.length)
    buf = joined
    while (buf.length >= 8) {
      const len = new DataView(buf.buffer, buf.byteOffset + 4, 4).getUint32(0)
      if (buf.length < 8 + len) break
      yield { stream: buf[0], data: buf.slice(8, 8 + len) }
      buf = buf.slice(8 + len)
    }
  }
}

/** An image name in a path: its slashes stay (the engine's routes take names with slashes). */
export const imagePath = (name) => name.split('/').map(encodeURIComponent).join('/')
