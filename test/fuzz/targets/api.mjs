// Fuzz target: what the API does with a request before any engine work: the path (route match and
// percent-decoding of its parameters), query helpers, and JSON bodies against every route schema.
// The input is "METHOD PATH\nBODY".
import { expected } from './common.mjs'
const { match, int, jsonQuery } = await import('../../../dist/src/api/router.js')
const { routes } = await import('../../../dist/src/api/server.js')
const { parseJsonBody } = await import('../../../dist/src/api/http-body.js')

// A stand-in engine: route construction only reads it.
const engine = new Proxy({}, { get: () => new Proxy(() => {}, { get: () => undefined }) })
const table = routes(engine)
const METHODS = ['GET', 'POST', 'DELETE', 'HEAD', 'PUT']

export function fuzz(data) {
  const text = data.toString('utf8')
  const nl = text.indexOf('\n')
  const line = nl === -1 ? text : text.slice(0, nl)
  const body = nl === -1 ? Buffer.alloc(0) : data.subarray(Buffer.byteLength(text.slice(0, nl + 1)))
  const sp = line.indexOf(' ')
  const method = METHODS[(line.charCodeAt(0) || 0) % METHODS.length]
  let url
  try {
    url = new URL(sp === -1 ? line : line.slice(sp + 1), 'http://tocker')
  } catch {
    return
  }
  try {
    int(url.searchParams, 'limit')
    jsonQuery(url.searchParams, 'filters')
  } catch (err) {
    expected(err)
  }
  let route
  try {
    route = match(table, method, url.pathname).route
  } catch (err) {
    expected(err)
    return
  }
  let value
  try {
    value = parseJsonBody(body)
  } catch (err) {
    expected(err)
    return
  }
  for (const r of table) {
    if (r.body === 'stream' || !r.body.schema || value === undefined) continue
    try {
      r.body.schema(value)
    } catch (err) {
      expected(err)
    }
  }
  void route
}
