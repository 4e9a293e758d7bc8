// The tutorials' container workflow against a real engine, real images (the offline busybox and
// httpd, pushed to a real registry and pulled by tocker) and the real kernel: run -d, ps, exec,
// stop, ps -a, start (the edit is still there), logs, logs -f, rm, the `rm --force $(ps -aq)`
// idiom, exit codes, --rm, stop timing, name races, and nothing left behind.
// Runs in a private network namespace: containers on the default bridge get veths and rules there.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn } = await import('node:child_process')
const { existsSync, readdirSync, readFileSync, readlinkSync } = await import('node:fs')
const { request } = await import('node:http')
const { join } = await import('node:path')
const { engineTestBed, TOCKER_BIN, until, processesOf } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'])
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
// The last subtest cleans up (awaited in order); the teardown is for a file that fails half-way.
t.teardown(cleanup)

const lines = (s: string) => s.split('\n').filter(Boolean)

t.test('run -d pulls a missing image and prints the full ID; ps shows it Up', async (t) => {
  const r = await env.tocker(['run', '-d', '--name', 'ws2', HTTPD])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, `Unable to find image '${HTTPD}:latest' locally`)
  t.match(r.stdout, /^[0-9a-f]{64}\n$/)
  const id = r.stdout.trim()
  const ps = lines(await env.ok(['ps']))
  t.match(ps[0], /^CONTAINER ID   IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/)
  const row = ps.find((l) => l.endsWith(' ws2'))!
  t.ok(row, 'ws2 listed')
  t.match(row, new RegExp(`^${id.slice(0, 12)}   ${HTTPD.replace(/[.]/g, '\\.')} +"httpd-foreground" +(Less than a second|\\d+ seconds?) ago +Up `))
  t.match(row, '80/tcp')
  const inspect = JSON.parse(await env.ok(['inspect', 'ws2']))
  t.equal(inspect[0].Id, id)
  t.equal(inspect[0].Name, '/ws2')
  t.equal(inspect[0].State.Status, 'running')
  t.equal(inspect[0].Config.Hostname, id.slice(0, 12))
  t.equal((await env.ok(['inspect', '--format', '{{.State.Status}} {{.Config.Image}}', id.slice(0, 5)])).trim(), `running ${HTTPD}`)
})

t.test('exec edits index.html; rm refuses a running container; stop, ps -a, start keeps the edit', async (t) => {
  t.equal((await env.tocker(['exec', 'ws2', 'sh', '-c', 'echo "<h1>edited</h1>" > htdocs/index.html'])).code, 0)
  t.equal(await env.ok(['exec', 'ws2', 'cat', '/usr/local/apache2/htdocs/index.html']), '<h1>edited</h1>\n')
  const refused = await env.tocker(['rm', 'ws2'])
  t.equal(refused.code, 1)
  t.equal(
    refused.stderr,
    'Error response from daemon: cannot remove container "/ws2": container is running: stop the container before removing or force remove\n',
  )
  const started = Date.now()
  t.equal(await env.ok(['stop', 'ws2']), 'ws2\n')
  t.ok(Date.now() - started < 8000, 'httpd-foreground stops on its StopSignal, not after the 10 s kill')
  t.notMatch(await env.ok(['ps']), 'ws2')
  t.match(await env.ok(['ps', '-a']), /Exited \(0\) (Less than a second|\d+ seconds?) ago +ws2/)
  t.equal(await env.ok(['start', 'ws2']), 'ws2\n')
  t.match(await env.ok(['ps']), /Up .* ws2/)
  t.equal(await env.ok(['exec', 'ws2', 'cat', 'htdocs/index.html']), '<h1>edited</h1>\n', 'the writable layer survived stop/start')
})

t.test('logs shows what the container wrote, stdout and stderr apart; --tail, -t', async (t) => {
  // busybox httpd -vv logs each request on stderr.
  t.match(await env.ok(['exec', 'ws2', 'wget', '-qO-', 'http://127.0.0.1/']), 'edited')
  const logs = await until(async () => {
    const r = await env.tocker(['logs', 'ws2'])
    return r.stderr.includes('url:/') ? r : undefined
  }, 'the request in the log')
  t.equal(logs.code, 0)
  const id = (await env.ok(['ps', '-q', '--no-trunc', '--filter', 'name=ws2'])).trim()
  const raw = readFileSync(join(env.root, 'containers', id, `${id}-json.log`), 'utf8')
  const first = JSON.parse(raw.split('\n')[0])
  t.same(Object.keys(first), ['log', 'stream', 'time'], "Docker's json-file format")
  t.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  const tail = await env.tocker(['logs', '--tail', '1', '-t', 'ws2'])
  t.equal(lines(tail.stdout + tail.stderr).length, 1)
  t.match(tail.stdout + tail.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /)
  t.equal((await env.tocker(['logs', 'nope'])).stderr, 'Error response from daemon: No such container: nope\n')
})

t.test('-d + logs -f sees new lines live and ends when the container stops', async (t) => {
  const script = 'i=0; while [ $i -lt 400 ]; do echo "line $i"; i=$((i+1)); sleep 0.05; done'
  t.equal((await env.tocker(['run', '-d', '--name', 'ticker', BUSYBOX, 'sh', '-c', script])).code, 0)
  const follower = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'logs', '-f', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let seen = ''
  follower.stdout.on('data', (d) => (seen += d))
  const ended = new Promise<number>((r) => follower.on('close', (c) => r(c ?? -1)))
  await until(() => /line 10\n/.test(seen), 'line 10 through logs -f', 15_000)
  t.match(seen, /^line 0\nline 1\n/, 'includes what was written before')
  const before = lines(seen).length
  await until(() => lines(seen).length >= before + 5, 'more lines arriving live', 10_000)
  await env.ok(['kill', 'ticker'])
  t.equal(await ended, 0, 'logs -f returns when the container stops')
  const nums = lines(seen).map((l) => Number(l.split(' ')[1]))
  t.same(nums, nums.map((_, i) => i), 'no line lost or repeated')
  t.match(await env.ok(['ps', '-a', '--filter', 'name=ticker']), /Exited \(137\)/)
})

t.test('foreground run: output, exit codes, --rm removes everything', async (t) => {
  const hello = await env.tocker(['run', '--rm', BUSYBOX, 'echo', 'hello', '-d'])
  t.same([hello.code, hello.stdout], [0, 'hello -d\n'], 'options after the image belong to the command')
  const err = await env.tocker(['run', '--name', 'three', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 3'])
  t.same([err.code, err.stdout, err.stderr], [3, 'out\n', 'err\n'])
  t.match(await env.ok(['ps', '-a', '--filter', 'name=three']), /Exited \(3\) .* three/)
  const again = await env.tocker(['start', '-a', 'three'])
  t.same([again.code, again.stdout, again.stderr], [3, 'out\n', 'err\n'], 'start -a attaches and returns the exit code')
  t.equal(await env.ok(['logs', 'three']), 'out\nout\n', 'the log keeps both runs')
  const before = (await env.ok(['ps', '-aq'])).split('\n').length
  t.equal((await env.tocker(['run', '--rm', BUSYBOX, 'true'])).code, 0)
  t.equal((await env.ok(['ps', '-aq'])).split('\n').length, before, '--rm left no container')
  // --rm answers once the container is gone, its directory included, whether or not anyone
  // follows the trace (issue 14).
  const dirsBefore = readdirSync(join(env.root, 'containers')).length
  for (const round of [1, 2]) t.equal((await env.tocker(['run', '--rm', '--name', 'reused', BUSYBOX, 'true'])).code, 0, `run --rm --name reused (${round}): the name is free again at once`)
  t.equal(readdirSync(join(env.root, 'containers')).length, dirsBefore, "--rm: the containers' directories are gone too")
  // The same through the API, looked at the moment the answer of `wait condition=removed` ends
  // (an engine that deleted the directory after answering fails this), with and without a file
  // in the writable layer (deleted in-process, or by rm -rf).
  for (const cmd of [['true'], ['sh', '-c', 'echo x > /made-a-file']]) {
    const { Id } = JSON.parse((await api('POST', '/containers/create', { Image: BUSYBOX, Cmd: cmd, HostConfig: { AutoRemove: true, NetworkMode: 'none' } })).text)
    const removed = api('POST', `/containers/${Id}/wait?condition=removed`, undefined, () => existsSync(join(env.root, 'containers', Id)))
    await new Promise((r) => setTimeout(r, 200)) // the wait registered before the start
    await api('POST', `/containers/${Id}/start`)
    t.equal((await removed).atEnd, false, `${cmd.join(' ')}: the directory is gone when wait condition=removed answers`)
  }
  const piped = await env.tocker(['run', '-i', '--rm', BUSYBOX, 'sh', '-c', 'tr a-z A-Z'], { input: 'shout\n' })
  t.same([piped.code, piped.stdout], [0, 'SHOUT\n'], '-i forwards stdin and closes it at its end')
  const notFound = await env.tocker(['run', '--rm', BUSYBOX, 'no-such-command'])
  t.equal(notFound.code, 127)
  t.match(notFound.stderr, /no-such-command/)
})

t.test("start releases the gate over the create's control socket: none of its sockets stays open in the engine, started or failed", async (t) => {
  // The runtime keeps the shim's control and exit sockets from its create until the start's
  // release (runtime-backend.ts begin), or until a start that failed before it is cleaned up.
  const enginePid = Number(readFileSync(join(env.root, 'tockerd.pid'), 'utf8'))
  const sockets = () =>
    readdirSync(`/proc/${enginePid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${enginePid}/fd/${fd}`).startsWith('socket:')
      } catch {
        return false // closed while we looked
      }
    }).length
  await new Promise((r) => setTimeout(r, 300)) // the previous test's CLI connections closed
  const before = sockets()
  for (const net of ['none', 'bridge']) {
    for (let i = 0; i < 4; i++) t.equal((await env.tocker(['run', '--rm', '--network', net, BUSYBOX, 'true'])).code, 0, `${net}: run --rm true`)
    // The gate refuses the process in the runtime's create: a start that fails before the release.
    const missing = await env.tocker(['run', '--rm', '--network', net, BUSYBOX, 'no-such-command'])
    t.same([missing.code, /no-such-command/.test(missing.stderr)], [127, true], `${net}: a missing program is reported by the start`)
  }
  // The CLI's connections end with the CLI (a moment after its exit): what stays is the engine's.
  // One or two per run would stay if the runtime kept them (until fails after 10 s).
  t.ok(await until(() => (sockets() <= before ? true : undefined), 'the engine back to its sockets before the runs'), 'no more sockets than before the runs')
})

t.test('--rm: the writable layer is mounted volatile (no sync of the disk at the exit); restart mounts it again', async (t) => {
  // The root's line of mountinfo: overlayfs shows "volatile" as fsync=volatile (Linux 6.x) or volatile.
  const root = ['sh', '-c', "grep ' / / ' /proc/self/mountinfo"]
  const rm = await env.tocker(['run', '--rm', '--network', 'none', BUSYBOX, ...root])
  t.equal(rm.code, 0, rm.stderr)
  t.match(rm.stdout, / overlay overlay .*upperdir=.*volatile/, '--rm: volatile')
  const kept = await env.tocker(['run', '--network', 'none', '--name', 'kept', BUSYBOX, ...root])
  t.equal(kept.code, 0, kept.stderr)
  t.match(kept.stdout, / overlay overlay .*upperdir=/)
  t.notMatch(kept.stdout, /volatile/, 'a container that stays: its writes are synced at the exit, as Docker does')
  await env.ok(['rm', 'kept'])
  // A volatile mount leaves work/incompat/volatile, and overlayfs refuses that workdir until it is
  // cleared: a restart (which keeps an --rm container) must clear it and mount volatile again.
  const id = (await env.ok(['run', '-d', '--rm', '--network', 'none', BUSYBOX, 'sleep', '100'])).trim()
  await env.ok(['restart', '-t', '0', id])
  t.match(await env.ok(['exec', id, ...root]), /upperdir=.*volatile/, 'restarted: mounted, volatile again')
  await env.ok(['rm', '-f', id])
})

/** One request to the engine's API; `atEnd`: what `onEnd` returned the moment the whole answer had arrived. */
function api(method: string, path: string, body?: unknown, onEnd?: () => unknown): Promise<{ text: string; atEnd: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body)
    const headers = data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}
    const req = request({ socketPath: env.socket, path, method, headers, timeout: 60_000 }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => {
        const atEnd = onEnd?.()
        if ((res.statusCode ?? 500) < 300) resolve({ text, atEnd })
        else reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
      })
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)))
    req.end(data)
  })
}

/** Run the CLI under `script`, so that it has a real terminal; `keys` are typed after a second. */
function inTerminal(args: string[], keys: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const cmd = [process.execPath, TOCKER_BIN, '--root', env.root, ...args].map((a) => `'${a}'`).join(' ')
    const child = spawn('script', ['-qec', `stty rows 30 cols 90; ${cmd}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    setTimeout(() => child.stdin.write(keys), 1500)
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, out })
    })
  })
}

t.test('-it: run and exec get a terminal of their size; the exit code comes back', async (t) => {
  // A program that asks for its size at once: the size came with the create (HostConfig.ConsoleSize),
  // before the program ran (a resize after the start came too late for it: "0 0").
  const first = await inTerminal(['run', '-it', '--rm', BUSYBOX, 'stty', 'size'], '')
  t.equal(first.code, 0)
  t.match(first.out, /^30 90\r*$/m, 'the size was there when the program started')
  const run = await inTerminal(['run', '-it', '--rm', BUSYBOX, 'sh'], 'echo answer=$((6*7)); stty size; tty; exit 3\r')
  t.equal(run.code, 3)
  t.match(run.out, 'answer=42')
  t.match(run.out, /\/dev\/pts\/0\r*\n/, "the container's own pty")
  t.match(run.out, '30 90', 'the window size reached the container')
  const exec = await inTerminal(['exec', '-it', 'ws2', 'sh'], 'echo in=$PWD; stty size; tty; exit 4\r')
  t.equal(exec.code, 4)
  t.match(exec.out, /\/dev\/pts\/\d+\r*\n/, "exec's terminal is one of the container's own /dev/pts")
  t.match(exec.out, 'in=/usr/local/apache2')
  t.match(exec.out, '30 90')
})

t.test("-p publishes a port (ps shows it, the host reaches it); --explain shows the engine's kernel work", async (t) => {
  const r = await env.tocker(['run', '-d', '--name', 'ws3', '-p', '18081:80', HTTPD])
  t.equal(r.code, 0, r.stderr)
  t.match(await env.ok(['ps', '--filter', 'name=ws3', '--format', '{{.Ports}}']), '0.0.0.0:18081->80/tcp')
  const page = await until(async () => {
    try {
      return await (await fetch('http://127.0.0.1:18081/')).text()
    } catch {
      return undefined
    }
  }, 'the published port')
  t.match(page, 'It works!')
  await env.ok(['rm', '-f', 'ws3'])
  const explained = await env.tocker(['--explain=full', 'run', '--rm', BUSYBOX, 'true'])
  t.equal(explained.code, 0)
  t.match(explained.stderr, /\[engine\] \[mount\] mount\("overlay"/)
  t.match(explained.stderr, /\[engine\] \[syscall\] unshare\(/)
})

t.test('stop: sh as PID 1 ignores SIGTERM, so it is killed after -t seconds', async (t) => {
  t.equal((await env.tocker(['run', '-d', '--name', 'stubborn', BUSYBOX, 'sh', '-c', 'while true; do sleep 1; done'])).code, 0)
  const t0 = Date.now()
  t.equal(await env.ok(['stop', '-t', '2', 'stubborn']), 'stubborn\n')
  const took = Date.now() - t0
  t.ok(took >= 1900 && took < 6000, `stopped after ${took} ms`)
  t.match(await env.ok(['ps', '-a', '--filter', 'name=stubborn']), /Exited \(137\)/)
  t.equal(await env.ok(['wait', 'stubborn']), '137\n')
  const notRunning = await env.tocker(['exec', 'stubborn', 'true'])
  t.equal(notRunning.code, 1)
  t.match(notRunning.stderr, /^Error response from daemon: container [0-9a-f]{64} is not running\n$/)
})

t.test('two runs with the same --name at once: exactly one wins', async (t) => {
  const [a, b] = await Promise.all([
    env.tocker(['run', '-d', '--name', 'same', BUSYBOX, 'sleep', '100']),
    env.tocker(['run', '-d', '--name', 'same', BUSYBOX, 'sleep', '100']),
  ])
  t.same([a.code, b.code].sort(), [0, 125])
  t.match(a.code ? a.stderr : b.stderr, /Conflict\. The container name "\/same" is already in use by container "[0-9a-f]{64}"/)
  t.equal(lines(await env.ok(['ps', '-a', '--filter', 'name=^same$', '-q'])).length, 1)
})

t.test('rename, top, restart, kill -s, a prefix of the ID', async (t) => {
  await env.ok(['rename', 'same', 'other'])
  const id = (await env.ok(['ps', '-q', '--filter', 'name=other'])).trim()
  t.match(await env.ok(['top', id.slice(0, 4)]), /sleep 100/)
  await env.ok(['restart', '-t', '1', 'other'])
  t.match(await env.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /other Up/)
  await env.ok(['kill', '-s', 'TERM', 'other'])
  // sleep as PID 1 has no handler for SIGTERM: the kernel drops it, the container keeps running.
  t.match(await env.ok(['ps', '--format', '{{.Names}}']), 'other')
  const r = await env.tocker(['start', 'no-such'])
  t.same([r.code, r.stderr], [1, 'Error response from daemon: No such container: no-such\n'])
})

t.test('limits the host cannot enforce are refused at create, as Docker does, and nothing is made', async (t) => {
  const { cgroupSupport } = await import('../../../src/cgroups/index.js')
  if (cgroupSupport().usable) return t.skip('this host has a usable cgroup v2 (the VM tier tests the limits)', () => {})
  const before = await env.ok(['ps', '-aq', '--no-trunc'])
  for (const flags of [['--memory', '32m'], ['--pids-limit', '5'], ['--cpus', '0.5']]) {
    const r = await env.tocker(['create', ...flags, BUSYBOX, 'true'])
    t.equal(r.code, 125, `create ${flags.join(' ')}`)
    t.match(r.stderr, new RegExp(`^Error response from daemon: cannot apply ${flags[0]}: limits need cgroup v2`), 'says why')
    t.match(r.stderr, /To enable cgroup v2, boot Linux with systemd\.unified_cgroup_hierarchy=1/, 'says how to enable it')
  }
  t.equal(await env.ok(['ps', '-aq', '--no-trunc']), before, 'no container was created')
})

t.test('rm --force $(ps -aq) removes everything, leaving no process, mount or state; then rmi works', async (t) => {
  const wsId = (await env.ok(['ps', '-q', '--no-trunc', '--filter', 'name=ws2'])).trim()
  const imageId = (await env.ok(['inspect', '--format', '{{.Image}}', 'ws2'])).trim()
  const refused = await env.tocker(['rmi', HTTPD])
  t.equal(refused.code, 1)
  // Docker quotes the reference as typed; the image store currently adds ":latest" (reported).
  t.match(
    refused.stderr,
    new RegExp(
      `^Error response from daemon: conflict: unable to remove repository reference "${HTTPD.replace(/[.]/g, '\\.')}(:latest)?" \\(must force\\) - container ${wsId.slice(0, 12)} is using its referenced image ${imageId.slice(7, 19)}\n$`,
    ),
  )
  const ids = lines(await env.ok(['container', 'ls', '--all', '--quiet']))
  t.ok(ids.length >= 4)
  const rm = await env.tocker(['container', 'rm', '--force', ...ids])
  t.equal(rm.code, 0, rm.stderr)
  t.same(lines(rm.stdout), ids)
  t.equal(await env.ok(['ps', '-aq']), '')
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(env.root))
  t.same(mounts, [], 'no mount under the store')
  const shims = (await import('node:fs')).readdirSync('/proc').filter((p) => {
    try {
      return /^\d+$/.test(p) && Number(p) !== env.engine?.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(env.root)
    } catch {
      return false
    }
  })
  t.same(shims, [], 'no process of this store left but the engine')
  t.same((await import('node:fs')).readdirSync(join(env.root, 'containers')), [], 'no container state left')
  t.match(await env.ok(['rmi', HTTPD]), `Untagged: ${HTTPD}:latest`, 'no container uses the image any more')
})

t.test('cleanup: no process of this store is left', async (t) => {
  await cleanup()
  t.same(processesOf(env.root), [])
})
