// A real OCI registry for tests: Debian's `docker-registry` (the CNCF distribution server, /usr/bin/
// docker-registry) on 127.0.0.1 at a free port, with storage in a temp dir, plus `push` through skopeo.
//
// API (stable; other test files use it):
//
//   const reg = await startRegistry()                                   // open registry
//   const reg = await startRegistry({ auth: 'htpasswd', users: { alice: 'wonderland' } })  // Basic auth
//   const reg = await startRegistry({ auth: 'token', users: { alice: 'wonderland' } })     // Bearer tokens
//
//   reg.addr            '127.0.0.1:PORT'  (use it as the registry part of a reference: `${reg.addr}/x/y:1`)
//   reg.storageDir      the registry's filesystem storage root
//   reg.blobPath(d)     the file holding blob `sha256:…` in that storage (tests may tamper with it)
//   reg.users           the users accepted by htpasswd / the token server ({} for an open registry)
//   reg.token           (token flavour) { addr, requests: TokenRequest[] } — every token request served, in order
//   await reg.stop()    kills the registry (and token server) by PID and removes every temp file
//
//   await push(source, `${reg.addr}/x/y:1`, { format: 'oci' | 'v2s2', all: true, creds: { username, password } })
//     source: an OCI layout directory, an OCI-layout or docker-archive tarball (.tar), or a skopeo
//     transport string ("oci:DIR:REF"). `all` copies every image of a multi-arch index; `format: 'v2s2'`
//     converts to Docker schema2 (an OCI index becomes a Docker manifest list).
//
// Token flavour: the helper runs a tiny token server on 127.0.0.1 (the registry's `auth: token` realm).
// It issues RS256 JWTs carrying the certificate in their `x5c` header; that certificate (self-signed,
// made with openssl) is the registry's `rootcertbundle`. Known users get what they ask for; wrong
// passwords get 401 `{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}`;
// anonymous requests get a token with no access (or pull access with `anonymousPull: true`).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { createSign, randomBytes, X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TokenRequest {
  /** The user named in the Basic credentials, undefined for anonymous requests. */
  user?: string
  scopes: string[]
  service?: string
  /** 200 (token issued) or 401 (wrong password). */
  status: number
}

export interface TestRegistry {
  addr: string
  storageDir: string
  users: Record<string, string>
  token?: { addr: string; requests: TokenRequest[] }
  blobPath(digest: string): string
  stop(): Promise<void>
}

export interface StartRegistryOptions {
  auth?: 'htpasswd' | 'token'
  /** user → password; default { tocker: 'tocker-secret' } when auth is set. */
  users?: Record<string, string>
  /** Token flavour: anonymous token requests get pull access to every repository. */
  anonymousPull?: boolean
  /** Token flavour: the expires_in the token server announces (seconds, default 300). */
  tokenExpiresIn?: number
}

const REGISTRY_BIN = '/usr/bin/docker-registry'
const SERVICE = 'tocker-test-registry'
const ISSUER = 'tocker-test-token-server'

/** Every registry still running, so that a crashing test file does not leave one behind. */
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-registry-'))
  const storageDir = join(dir, 'storage')
  const users = opts.auth ? (opts.users ?? { tocker: 'tocker-secret' }) : {}
  let tokenServer: Server | undefined
  let token: TestRegistry['token']
  try {
    let authYaml = ''
    if (opts.auth === 'htpasswd') {
      const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-nbB', u, p], { encoding: 'utf8' }).trim())
      writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n')
      authYaml = `auth:\n  htpasswd:\n    realm: tocker-test\n    path: ${join(dir, 'htpasswd')}\n`
    } else if (opts.auth === 'token') {
      const keyPath = join(dir, 'token.key')
      const certPath = join(dir, 'token.crt')
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=tocker-test-token-issuer'], { stdio: 'ignore' })
      const requests: TokenRequest[] = []
      const started = await startTokenServer({
        key: readFileSync(keyPath, 'utf8'),
        certDer: new X509Certificate(readFileSync(certPath)).raw,
        users,
        anonymousPull: opts.anonymousPull ?? false,
        expiresIn: opts.tokenExpiresIn ?? 300,
        requests,
      })
      tokenServer = started.server
      token = { addr: started.addr, requests }
      authYaml = `auth:\n  token:\n    realm: http://${started.addr}/token\n    service: ${SERVICE}\n` +
        `    issuer: ${ISSUER}\n    rootcertbundle: ${certPath}\n`
    }

    // The port is free when we ask; another process could take it before the registry binds, so retry.
    for (let attempt = 0;; attempt++) {
      const port = await freePort()
      const addr = `127.0.0.1:${port}`
      const config = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
        `storage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\n` +
        `  maintenance:\n    uploadpurging:\n      enabled: false\n` +
        `http:\n  addr: ${addr}\n  secret: ${randomBytes(16).toString('hex')}\n` +
        authYaml
      const configPath = join(dir, 'config.yml')
      writeFileSync(configPath, config)
      const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] })
      running.add(child)
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000)
      })
      const ready = await waitUntilServing(addr, child)
      if (!ready) {
        await killAndWait(child)
        running.delete(child)
        if (attempt < 3) continue
        throw new Error(`docker-registry did not start on ${addr}: ${stderr.trim()}`)
      }
      const stop = async () => {
        await killAndWait(child)
        running.delete(child)
        if (tokenServer) {
          // close() waits for every connection to end; a client's keep-alive one may never do so.
          tokenServer.closeAllConnections()
          await new Promise<void>((resolve) => tokenServer!.close(() => resolve()))
        }
        rmSync(dir, { recursive: true, force: true })
      }
      return {
        addr,
        storageDir,
        users,
        token,
        blobPath: (digest: string) => {
          const hex = digest.replace(/^sha256:/, '')
          return join(storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data')
        },
        stop,
      }
    }
  } catch (err) {
    if (tokenServer) tokenServer.close()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

async function waitUntilServing(addr: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false
    try {
      const res = await fetch(`http://${addr}/v2/`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status === 200 || res.status === 401) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return
  const pid = child.pid
  const gone = () => {
    try {
      process.kill(pid, 0)
      return false
    } catch {
      return true
    }
  }
  // Wait for Node's 'exit' event, but never forever: if something else reaped the process, the
  // event may never come, so also poll for the PID itself (bounded at 10 s).
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    const poll = setInterval(() => {
      if (gone()) {
        clearInterval(poll)
        resolve()
      }
    }, 100)
    child.once('exit', () => clearInterval(poll))
    setTimeout(() => {
      clearInterval(poll)
      resolve()
    }, 10_000).unref()
  })
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return // already gone
  }
  const timer = setTimeout(() => {
    if (child.exitCode === null && !gone()) process.kill(pid, 'SIGKILL')
  }, 3000)
  await exited
  clearTimeout(timer)
}

// ---- the token server --------------------------------------------------------------------------

interface TokenServerOptions {
  key: string
  certDer: Buffer
  users: Record<string, string>
  anonymousPull: boolean
  expiresIn: number
  requests: TokenRequest[]
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

async function startTokenServer(o: TokenServerOptions): Promise<{ server: Server; addr: string }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://token')
    if (url.pathname !== '/token') {
      res.writeHead(404).end()
      return
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean)
    const service = url.searchParams.get('service') ?? undefined
    let user: string | undefined
    const authz = req.headers.authorization
    if (authz?.startsWith('Basic ')) {
      const decoded = Buffer.from(authz.slice(6), 'base64').toString()
      const colon = decoded.indexOf(':')
      const name = decoded.slice(0, colon)
      const password = decoded.slice(colon + 1)
      if (colon < 0 || o.users[name] === undefined || o.users[name] !== password) {
        o.requests.push({ user: name, scopes, service, status: 401 })
        res.writeHead(401, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }))
        return
      }
      user = name
    }
    o.requests.push({ user, scopes, service, status: 200 })
    const access = scopes.flatMap((scope) => {
      // "repository:lab/tools/busybox:pull,push" (the name may itself contain ':' with a port-less path)
      const first = scope.indexOf(':')
      const last = scope.lastIndexOf(':')
      if (first < 0 || last === first) return []
      const type = scope.slice(0, first)
      const name = scope.slice(first + 1, last)
      const wanted = scope.slice(last + 1).split(',')
      const actions = user !== undefined ? wanted : o.anonymousPull ? wanted.filter((a) => a === 'pull') : []
      return actions.length ? [{ type, name, actions }] : []
    })
    const now = Math.floor(Date.now() / 1000)
    const header = { typ: 'JWT', alg: 'RS256', x5c: [o.certDer.toString('base64')] }
    const claims = {
      iss: ISSUER,
      sub: user ?? '',
      aud: service ?? SERVICE,
      exp: now + o.expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    }
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
    const signature = createSign('RSA-SHA256').update(signingInput).sign(o.key)
    const jwt = `${signingInput}.${base64url(signature)}`
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ token: jwt, access_token: jwt, expires_in: o.expiresIn, issued_at: new Date(now * 1000).toISOString() }))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return { server, addr: `127.0.0.1:${port}` }
}

// ---- pushing ------------------------------------------------------------------------------------

export interface PushOptions {
  /** Manifest format written to the registry: OCI (default: whatever the source has) or Docker schema2. */
  format?: 'oci' | 'v2s2'
  /** Copy every image of a multi-arch index (skopeo --all). */
  all?: boolean
  creds?: { username: string; password: string }
}

/** skopeo's name for a source: a layout dir, an archive, or an explicit "transport:…" string. */
function skopeoSource(source: string): string {
  if (/^(oci|oci-archive|docker-archive|dir|docker):/.test(source)) return source
  if (statSync(source).isDirectory()) return `oci:${source}`
  const listing = execFileSync('tar', ['-tf', source], { encoding: 'utf8', maxBuffer: 64 << 20 })
  return listing.split('\n').some((l) => l.replace(/^\.\//, '') === 'oci-layout') ? `oci-archive:${source}` : `docker-archive:${source}`
}

/** Push an image to the test registry with skopeo (plain HTTP: --dest-tls-verify=false). */
export async function push(source: string, dest: string, opts: PushOptions = {}): Promise<void> {
  const args = ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false']
  if (opts.format) args.push('--format', opts.format)
  if (opts.all) args.push('--all')
  if (opts.creds) args.push('--dest-creds', `${opts.creds.username}:${opts.creds.password}`)
  args.push(skopeoSource(source), `docker://${dest}`)
  await new Promise<void>((resolve, reject) => {
    const child = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')} failed (${code}): ${stderr.trim()}`)))
  })
}

/** Whether the tools this helper needs are installed (tests skip with a clear reason otherwise). */
export function registryToolsMissing(): string | undefined {
  for (const bin of [REGISTRY_BIN, '/usr/bin/skopeo', '/usr/bin/htpasswd', '/usr/bin/openssl']) {
    if (!existsSync(bin)) return `${bin} is not installed`
  }
  return undefined
}
