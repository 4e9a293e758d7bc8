// One error type, layer by layer, without root: an error each layer really makes (a libc call's
// errno, a mount the fake kernel refuses, an ip/iptables failure worded by the network layer, a bad
// reference, an unreadable container record, a CLI argument) goes through the engine's real API
// router (a unix socket in a temp dir), comes back through the API client, and is printed by the
// CLI's error printer: Docker's line first, the status and the hint as today, and the cause chain
// (down to the kernel's errno) kept on the engine's side.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SyscallError } from '../../native-shims/libc.js'
import { flock } from '../../native-shims/fs.js'
import { EngineClient } from '../../src/api/client.js'
import { route, serve } from '../../src/api/router.js'
import { parseHost } from '../../src/api/socket.js'
import { parseTimeArg } from '../../src/cli/commands/logs.js'
import { render } from '../../src/cli/format/template.js'
import { errorText } from '../../src/cli/report.js'
import { loadRecords } from '../../src/engine/state.js'
import { isTockerError, isUserFacing, TockerError } from '../../src/errors.js'
import { parseReference } from '../../src/image/reference.js'
import { errorFromWire, errorToWire } from '../../src/image/unpack/unpack-protocol.js'
import { NetworkCommandError } from '../../src/network/command.js'
import { setupError } from '../../src/network/errors.js'
import { defaultMounts } from '../../src/runtime/default-spec.js'
import { mountAll, type MountContext } from '../../src/runtime/mounts.js'
import { RootDir } from '../../src/runtime/root-dir.js'
import { FakeSyscalls } from './fakes/syscalls.js'

process.env.LANG = 'C' // the CLI's hints in English only: the lines compared below
const work = mkdtempSync(join(tmpdir(), 'tocker-unit-errors-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

// The engine's side: one route that throws whatever error the test hands it.
let next: unknown
const server = serve([route('GET', '/fail', async () => {
  throw next
})])
const socketPath = join(work, 'api.sock')
await new Promise<void>((resolve) => server.listen(socketPath, resolve))
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
const client = new EngineClient(socketPath)

/** The API's answer to `err`: its status and JSON body, read as any Docker client reads them. */
function answer(err: unknown): Promise<{ status: number; body: { message: string; hint?: string } }> {
  next = err
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/fail' }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** What tocker's CLI prints for `err` when the engine threw it: through the API client, then the CLI's printer. */
async function cliOutput(err: unknown): Promise<string[]> {
  next = err
  const got = await client.json('GET', '/fail').then(() => undefined, (e: unknown) => e)
  return errorText(got).trimEnd().split('\n')
}

function thrown(fn: () => unknown): Error & Record<string, any> {
  try {
    fn()
  } catch (err) {
    return err as Error & Record<string, any>
  }
  throw new TockerError('expected a throw', { code: 'EINTERNAL' })
}

t.test("native-shims: a libc call's errno is a SyscallError (a TockerError with Node's errno fields)", async (t) => {
  const err = thrown(() => flock(-1, 2 /* LOCK_EX */))
  t.ok(err instanceof SyscallError && isTockerError(err), 'a SyscallError, so a TockerError')
  t.match(err, { code: 'EBADF', errno: constants.errno.EBADF, syscall: 'flock', internal: true })
  t.notOk(isUserFacing(err), 'internal: the layer above words it')
  const { status, body } = await answer(err)
  t.equal(status, 500)
  t.same(body, { message: 'flock: EBADF (Bad file descriptor)' })
  t.same(await cliOutput(err), ['Error response from daemon: flock: EBADF (Bad file descriptor)'])
})

t.test("runtime: a refused mount is worded as runc does, with the kernel's errno as its cause", async (t) => {
  const dir = mkdtempSync(join(work, 'rootfs-'))
  const root = RootDir.open(dir)
  t.teardown(() => root.close())
  const sys = new FakeSyscalls().install(t)
  sys.fail('mount', (c) => c.args[2] === 'mqueue', 'EPERM')
  const gate: MountContext['gate'] = { mount: () => {}, flush: () => {} }
  const err = thrown(() => mountAll({ root, bundle: dir, gate }, defaultMounts().filter((m) => m.type === 'mqueue')))
  t.ok(isTockerError(err))
  t.match(err.message, /^error mounting "mqueue" to rootfs at "\/dev\/mqueue": mount .*: EPERM \(Operation not permitted\)$/)
  t.ok(err.cause instanceof SyscallError, 'the cause is the SyscallError')
  t.match(err.cause, { code: 'EPERM', errno: constants.errno.EPERM, syscall: 'mount' })
  const { status, body } = await answer(err)
  t.equal(status, 500)
  t.equal(body.message, err.message)
  const out = await cliOutput(err)
  t.equal(out[0], `Error response from daemon: ${err.message}`, "Docker's line first")
})

t.test("network: a failed ip/iptables command is the cause of Docker's networking error", async (t) => {
  const low = new NetworkCommandError('iptables', ['-t', 'nat', '-A', 'TOCKER'], 1, 'iptables: No chain/target/match by that name.\n')
  t.notOk(isUserFacing(low), 'the command failure is internal')
  const err = setupError('web', low)
  t.equal(err.cause, low)
  t.match(err, { code: 'ENETSETUP', daemon: true, status: 500 })
  const { status, body } = await answer(err)
  t.equal(status, 500)
  t.same(body, { message: 'failed to set up container networking for web: iptables -t nat -A TOCKER: iptables: No chain/target/match by that name.' })
  t.equal((await cliOutput(err))[0], `Error response from daemon: ${body.message}`)
})

t.test("image: a bad reference is a 400 in Docker's words; a Node error from the unpacking thread keeps its errno", async (t) => {
  const err = thrown(() => parseReference('Busybox'))
  t.match(err, { code: 'EINVALIDREF', status: 400 })
  const { status, body } = await answer(err)
  t.equal(status, 400)
  t.same(body, { message: 'invalid reference format: repository name (library/Busybox) must be lowercase' })
  t.same(await cliOutput(err), ['Error response from daemon: invalid reference format: repository name (library/Busybox) must be lowercase'])

  // The unpacking thread sends errors over postMessage: an fs error comes back a TockerError with its errno fields.
  const fsErr = thrown(() => readFileSync(join(work, 'nope')))
  const back = errorFromWire(errorToWire(fsErr)) as TockerError & NodeJS.ErrnoException
  t.ok(isTockerError(back) && !isUserFacing(back), 'an internal TockerError')
  t.match(back, { code: fsErr.code, errno: fsErr.errno, syscall: fsErr.syscall, path: fsErr.path, message: fsErr.message })
})

t.test('engine: an unreadable container record is an ESTATE error with its hint and the read error as cause', async (t) => {
  const containers = join(work, 'containers')
  const id = 'a'.repeat(64)
  mkdirSync(join(containers, id), { recursive: true })
  writeFileSync(join(containers, id, 'container.json'), '{"Id": "aaaa", truncated')
  const err = thrown(() => loadRecords(containers))
  t.match(err, { code: 'ESTATE', status: 500 })
  t.ok(err.cause instanceof SyntaxError, "JSON.parse's error is the cause")
  const { status, body } = await answer(err)
  t.equal(status, 500)
  t.match(body, { message: /^cannot read the container record .*container\.json: /, hint: /^The engine did not start/ })
  const out = await cliOutput(err)
  t.equal(out[0], `Error response from daemon: ${body.message}`, "Docker's line first")
  t.equal(out[1], body.hint, 'then the hint')
})

t.test("cli: errors Docker's CLI prints as they are come out without tocker's 'Error: ' prefix", async (t) => {
  // Docker: `docker logs --since yesterday c` prints exactly this line (no prefix), exit 1.
  const since = thrown(() => parseTimeArg('yesterday'))
  t.ok(isUserFacing(since))
  t.same(errorText(since).trimEnd().split('\n')[0], 'invalid value for "since": failed to parse value as time or duration: "yesterday"')
  const host = thrown(() => parseHost('tcp://127.0.0.1:2375'))
  t.match(errorText(host), /^unsupported host "tcp:\/\/127\.0\.0\.1:2375": tocker engines listen on unix sockets/)
  // An internal error of the template engine is worded by its caller, with Docker's prefix.
  const tpl = thrown(() => render('{{.Name', {}))
  t.match(errorText(tpl), /^template parsing error: template: :1: /)
})
