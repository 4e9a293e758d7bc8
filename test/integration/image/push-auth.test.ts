// Where registry credentials may go, and for how long a token is trusted (the registry client's
// auth under a push): a token server's expires_in is capped at an hour, whatever it says; a realm
// that redirects to another host does not get the Basic credentials carried there; an upload session
// whose Location names another host gets its PATCH/PUT without Authorization (Docker authorises only
// hosts whose challenge it knows). Small servers on 127.0.0.1 / 127.0.0.2 play registry, realm and
// "another host"; the upload case uses Debian's docker-registry behind a proxy.
import { createHash } from 'node:crypto'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Authenticator, tokenLifetimeSeconds } from '../../../src/image/registry/auth.js'
import { RegistryClient } from '../../../src/image/registry/client.js'
import type { Endpoint } from '../../../src/image/registry/endpoints.js'
import { RegistryUploader } from '../../../src/image/registry/upload.js'
import { registryToolsMissing, startRegistry } from '../../helpers/registry.js'

const work = mkdtempSync(join(tmpdir(), 'tocker-push-auth-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
process.env.TOCKER_CONFIG = join(work, 'config')

interface Seen {
  url: string
  authorization?: string
}

async function serve(host: string, handler: (req: IncomingMessage, res: ServerResponse, addr: string) => void): Promise<{ addr: string; seen: Seen[]; stop: () => Promise<void> }> {
  const seen: Seen[] = []
  let addr = ''
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization })
    handler(req, res, addr)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  addr = `${host}:${(server.address() as AddressInfo).port}`
  return {
    addr,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const creds = { username: 'alice', password: 'wonderland' }
const basic = 'Basic ' + Buffer.from('alice:wonderland').toString('base64')

t.test("a token server's expires_in: at least 60 s, at most an hour", async (t) => {
  t.equal(tokenLifetimeSeconds(300), 300)
  t.equal(tokenLifetimeSeconds(10), 60, 'less than a minute: a minute (as Docker)')
  t.equal(tokenLifetimeSeconds(undefined), 60, 'absent: a minute')
  t.equal(tokenLifetimeSeconds('abc'), 60, 'not a number: a minute')
  t.equal(tokenLifetimeSeconds(-5), 60)
  t.equal(tokenLifetimeSeconds(1e12), 3600, 'a "forever" token: an hour')
  t.equal(tokenLifetimeSeconds('1e999'), 3600, 'Infinity: an hour')

  let issued = 0
  const reg = await serve('127.0.0.1', (req, res, addr) => {
    if (req.url === '/v2/') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${addr}/token",service="svc"` }).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `t${++issued}`, expires_in: 1e12 }))
  })
  t.teardown(reg.stop)
  const auth = new Authenticator(() => creds)
  const ep: Endpoint = { base: `http://${reg.addr}`, host: reg.addr, mirror: false }
  const first = await auth.authorize(ep, 'repository:cap/a:pull')
  t.same(first, { header: 'Bearer t1', fresh: true })
  t.same(await auth.authorize(ep, 'repository:cap/a:pull'), { header: 'Bearer t1', fresh: false }, 'reused from the cache')
  // Two hours later (the engine runs for weeks): asked for again, although the server said 1e12 s.
  const realNow = Date.now
  const later = realNow() + 2 * 3600_000
  Date.now = () => later
  try {
    t.same(await auth.authorize(ep, 'repository:cap/a:pull'), { header: 'Bearer t2', fresh: true }, 'a new token after an hour')
  } finally {
    Date.now = realNow
  }
  t.equal(reg.seen.filter((s) => s.url.startsWith('/token')).length, 2)
})

t.test('a realm that redirects to another host: the credentials stay behind', async (t) => {
  const other = await serve('127.0.0.2', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'from-other', expires_in: 300 }))
  })
  t.teardown(other.stop)
  const reg = await serve('127.0.0.1', (req, res, addr) => {
    if (req.url === '/v2/') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${addr}/token",service="svc"` }).end()
      return
    }
    res.writeHead(307, { location: `http://${other.addr}${req.url}` }).end()
  })
  t.teardown(reg.stop)
  const auth = new Authenticator(() => creds)
  const got = await auth.authorize({ base: `http://${reg.addr}`, host: reg.addr, mirror: false }, 'repository:redirect/a:pull')
  t.equal(got.header, 'Bearer from-other', 'the token came from the other host')
  const realm = reg.seen.filter((s) => s.url.startsWith('/token'))
  t.equal(realm.length, 1)
  t.equal(realm[0].authorization, basic, 'the realm the registry named got the credentials (as Docker sends them)')
  t.equal(other.seen.length, 1)
  t.equal(other.seen[0].authorization, undefined, 'the host it redirected to did not')
})

t.test('an upload session on another host gets no Authorization', { skip: registryToolsMissing() }, async (t) => {
  const registry = await startRegistry({ auth: 'htpasswd', users: { bob: 'builder' } })
  t.teardown(registry.stop)
  const [rhost, rport] = registry.addr.split(':')
  /** Forward to the registry; answers' Location headers are rewritten by `relocate`. */
  const forwarder = (relocate: (loc: string) => string) => (req: IncomingMessage, res: ServerResponse) => {
    const up = request({ host: rhost, port: Number(rport), method: req.method, path: req.url, headers: { ...req.headers, host: registry.addr } }, (answer) => {
      const headers = { ...answer.headers }
      if (typeof headers.location === 'string') headers.location = relocate(headers.location)
      res.writeHead(answer.statusCode ?? 502, headers)
      answer.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  }
  const other = await serve('127.0.0.2', forwarder((loc) => loc))
  t.teardown(other.stop)
  // The front answers POST /blobs/uploads/ with a session on "another host".
  const front = await serve('127.0.0.1', forwarder((loc) => new URL(new URL(loc, `http://${registry.addr}`).pathname + new URL(loc, `http://${registry.addr}`).search, `http://${other.addr}`).toString()))
  t.teardown(front.stop)

  const client = new RegistryClient({ config: { insecureRegistries: [], mirrors: [], credentials: () => ({ username: 'bob', password: 'builder' }) } })
  const uploader = new RegistryUploader(client, { domain: front.addr, path: 'x/leak', tag: 'latest' })
  const bytes = Buffer.from('{"not":"a secret"}\n')
  const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
  // The registry refuses the unauthenticated PUT on its own; what matters is who saw the password.
  await t.rejects(uploader.uploadBytes(bytes, digest))
  t.ok(front.seen.some((s) => s.url.includes('/blobs/uploads/') && s.authorization?.startsWith('Basic ')), 'the registry itself got the credentials')
  t.ok(other.seen.length >= 1, 'the upload went to the other host')
  t.same(other.seen.filter((s) => s.authorization !== undefined), [], 'which never saw Authorization')
})
