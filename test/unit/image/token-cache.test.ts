// The registry token cache, without root or network: fake transports (the registry client's Fetch
// seam) play two registries and their token servers. A token goes back only to the registry it was
// obtained for, over the transport it came by.
import t from 'tap'
import { Authenticator } from '../../../src/image/registry/auth.js'
import type { Endpoint } from '../../../src/image/registry/endpoints.js'
import type { Fetch } from '../../../src/image/registry/transport.js'

const REALM = 'https://auth.example/token'

/** A transport whose registries all challenge with the same realm and service; its token server numbers its tokens. */
function transport(name: string): { fetch: Fetch; issued: string[] } {
  const issued: string[] = []
  const fetch: Fetch = async (url) => {
    if (url.endsWith('/v2/')) return new Response('{}', { status: 401, headers: { 'www-authenticate': `Bearer realm="${REALM}",service="registry.example"` } })
    if (url.startsWith(REALM)) {
      const token = `${name}-token-${issued.length + 1}`
      issued.push(token)
      return new Response(JSON.stringify({ token, expires_in: 300 }), { status: 200 })
    }
    return new Response('not here', { status: 404 })
  }
  return { fetch, issued }
}

const ep = (base: string): Endpoint => ({ base, host: new URL(base).host, mirror: false }) as Endpoint
const scope = 'repository:library/busybox:pull'

t.test("a registry naming another's realm and service does not get that registry's cached token", async (t) => {
  const a = transport('a')
  const auth = new Authenticator(() => ({ username: 'u', password: 'p' }), a.fetch)
  const first = await auth.authorize(ep('https://good.example'), scope)
  t.equal(first.header, 'Bearer a-token-1')
  t.equal((await auth.authorize(ep('https://good.example'), scope)).header, 'Bearer a-token-1', 'the same registry reuses it')
  const other = await auth.authorize(ep('https://evil.example'), scope)
  t.not(other.header, 'Bearer a-token-1', "another registry with the same realm/service/scope: not good.example's token")
  t.equal(other.fresh, true, 'it gets one of its own, asked for just now')
})

t.test('the cache is per transport: another transport asks for its own token', async (t) => {
  const a = transport('a')
  const b = transport('b')
  const viaA = await new Authenticator(() => undefined, a.fetch).authorize(ep('https://shared.example'), scope)
  const viaB = await new Authenticator(() => undefined, b.fetch).authorize(ep('https://shared.example'), scope)
  t.equal(viaA.header, 'Bearer a-token-1')
  t.equal(viaB.header, 'Bearer b-token-1', 'a token obtained over one transport is not reused over another')
  t.equal((await new Authenticator(() => undefined, a.fetch).authorize(ep('https://shared.example'), scope)).header, 'Bearer a-token-1', 'the same transport shares its cache across clients (one engine, many pulls)')
})
