// Who may use the dashboard. It listens on 127.0.0.1 only, but every local user can reach
// 127.0.0.1, and the engine behind it is root: without a check the page would be a root shell for
// anyone on the machine. So (as Jupyter does) every API call carries an access token that only the
// one who started `tocker dashboard` has seen: it is printed in the URL's fragment
// (http://127.0.0.1:8686/#token=…), which browsers send to no server and put in no Referer; the
// page keeps it in localStorage and sends it as `Authorization: Bearer …` (the exec WebSocket,
// which cannot set headers, as a subprotocol). The static files (the page's code) need no token:
// they hold nothing secret.
//
// Two browser attacks are refused as well, before the token is even looked at:
//   - DNS rebinding: evil.example resolves first to the attacker, then to 127.0.0.1, so the
//     attacker's script talks to us "same-origin". Its requests carry Host: evil.example, so only
//     the loopback names are accepted in Host.
//   - Cross-origin requests from any other page the browser has open (or a page on another port of
//     127.0.0.1): the browser adds Origin (and Sec-Fetch-Site), which must be this very origin. No
//     CORS header is ever sent, so a foreign page cannot read an answer either.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** The names a browser on this machine uses for the loopback address. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The WebSocket subprotocol the page asks for; the token rides beside it as `token.<hex>`. */
export const WS_PROTOCOL = 'tocker-dashboard'
const WS_TOKEN_PREFIX = 'token.'

export function newToken(): string {
  return randomBytes(24).toString('hex')
}

/** A token from the environment (TOCKER_DASHBOARD_TOKEN): long enough, and safe in a header. */
export function checkToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(token)) return 'the token must be 16 to 256 letters, digits, "-" or "_"'
  return undefined
}

export type Refusal = { status: number; message: string }

/** Host: one of the loopback names, any port (an SSH tunnel may forward another port to ours). */
export function checkHost(headers: IncomingHttpHeaders): Refusal | undefined {
  const host = headers.host ?? ''
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host)
  if (!m || !LOOPBACK_HOSTS.has(m[1].toLowerCase())) {
    return { status: 403, message: `refused: the Host header ${JSON.stringify(host)} is not 127.0.0.1, localhost or [::1] (the dashboard is only for this machine's browser; a foreign name could be a DNS rebinding attack)` }
  }
  return undefined
}

/** Origin and Sec-Fetch-Site, when the browser sends them: this origin only. */
export function checkOrigin(headers: IncomingHttpHeaders): Refusal | undefined {
  const origin = headers.origin
  if (origin !== undefined && origin !== `http://${headers.host}`) {
    return { status: 403, message: `refused: a request from another origin (${origin}); the dashboard answers only its own page` }
  }
  const site = headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: `refused: a ${site} request; the dashboard answers only its own page` }
  }
  return undefined
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

const NO_TOKEN: Refusal = {
  status: 401,
  message: 'the dashboard needs its access token: open the URL that `tocker dashboard` printed (http://127.0.0.1:PORT/#token=…)',
}

/** `Authorization: Bearer <token>` on an API request. */
export function checkBearer(headers: IncomingHttpHeaders, token: string): Refusal | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(headers.authorization ?? '')
  return m && sameToken(m[1], token) ? undefined : NO_TOKEN
}

/** The WebSocket's subprotocols: `tocker-dashboard` and `token.<token>`. */
export function checkWsProtocols(headers: IncomingHttpHeaders, token: string): Refusal | undefined {
  const offered = String(headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
  if (!offered.includes(WS_PROTOCOL)) return { status: 400, message: `the WebSocket must ask for the ${WS_PROTOCOL} subprotocol` }
  const given = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length)
  return given !== undefined && sameToken(given, token) ? undefined : NO_TOKEN
}

/** Every request: Host, then Origin; API requests also the token (`auth`). */
export function refusal(headers: IncomingHttpHeaders, auth?: { token: string; ws: boolean }): Refusal | undefined {
  return checkHost(headers) ?? checkOrigin(headers) ?? (auth ? (auth.ws ? checkWsProtocols(headers, auth.token) : checkBearer(headers, auth.token)) : undefined)
}
