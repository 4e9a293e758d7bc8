// rm -f of a container with execs still running: each exec's shim (outside the container's PID
// namespace) writes the exec's exit status into the container's runtime state directory the
// moment the kill reaches its process, while the removal is deleting that very directory. The
// removal must win that race every time (it failed with "Directory not empty"; the race itself is
// shown deterministically by test/unit/runtime/state-removal.test.ts). Here: the whole path, exec
// shims' locks included, through the engine. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { existsSync } = await import('node:fs')
const { connect } = await import('node:net')
const { join } = await import('node:path')
const { engineTestBed, postJson } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'], 'tocker-engine-rmrace-')
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const ROUNDS = 2
const EXECS = 12

/** POST with a JSON body to this engine; the parsed answer. */
const post = (path: string, body: unknown) => postJson(env.socket, path, body)

/** An attached exec (its shim waits for it and records its status), started through the API; the client's socket. */
async function attachedExec(container: string): Promise<import('node:net').Socket> {
  const created = await post(`/containers/${container}/exec`, { AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'echo up; exec sleep 600'] })
  if (created.status !== 201) throw new Error(`exec create: ${created.status}`)
  const sock = connect(env.socket)
  const body = JSON.stringify({ Detach: false, Tty: false })
  sock.write(`POST /exec/${created.json.Id}/start HTTP/1.1\r\nHost: tocker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  let seen = ''
  await new Promise<void>((resolve, reject) => {
    sock.on('data', (d) => (seen += d, seen.includes('up') && resolve()))
    sock.once('error', reject)
  })
  return sock
}

t.test(`rm -f of a container with ${EXECS} running attached execs succeeds, ${ROUNDS} times in a row`, async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const name = `racer${round}`
    const id = (await env.ok(['run', '-d', '--name', name, '--network', 'none', BUSYBOX, 'sleep', '600'])).trim()
    const socks = await Promise.all(Array.from({ length: EXECS }, () => attachedExec(name)))
    const t0 = Date.now()
    const r = await env.tocker(['rm', '-f', name])
    const took = Date.now() - t0
    for (const s of socks) s.destroy()
    t.equal(r.code, 0, `round ${round}: rm -f answered ${JSON.stringify(r.stderr)}`)
    t.notOk(existsSync(join(env.root, 'runtime', id)), `round ${round}: the runtime state directory is gone`)
    // The removal waits for the exec shims' locks (runtime/state.ts): they go with the container.
    t.ok(took < 8000, `round ${round}: rm -f took ${took} ms (the exec shims' locks did not hold it up)`)
    if (r.code !== 0) {
      await env.tocker(['rm', '-f', name]) // leave nothing behind for the next test
      break
    }
  }
})
