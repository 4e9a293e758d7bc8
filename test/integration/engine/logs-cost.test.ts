// What a container's output may cost the engine: a container writing at full speed (`yes`) while a
// `logs -f` follows it must leave the engine answering (`ps` through the API under 1 s) and small
// (RSS under 200 MB) for 60 s; a client that stops reading must not make the engine buffer the log;
// `logs --tail 5` of a 30 MB log reads its end only; a full `logs` streams it.
// The engine is killed if it passes 1 GB (an unbounded engine must not take the machine down).
// Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { request } = await import('node:http')
const { spawn } = await import('node:child_process')
const { connect } = await import('node:net')
const { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { engineTestBed, postJson, TOCKER_BIN, until } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'], 'tocker-engine-logcost-')
const BUSYBOX = ref('busybox')
t.teardown(cleanup)

const FOLLOW_SECONDS = Number(process.env.TOCKER_LOGS_FOLLOW_SECONDS ?? 60)
const MAX_RSS_MB = 200
const KILL_RSS_MB = 1024

function rssMb(): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${env.engine!.pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** Watch the engine's RSS every 10 ms; kill it past KILL_RSS_MB. stop() returns the maximum. */
function watchRss(): { stop: () => { max: number; killed: boolean } } {
  let max = 0
  let killed = false
  const timer = setInterval(() => {
    const rss = rssMb()
    max = Math.max(max, rss)
    if (rss > KILL_RSS_MB && !killed) {
      killed = true
      process.kill(env.engine!.pid!, 'SIGKILL')
    }
  }, 10)
  return {
    stop: () => {
      clearInterval(timer)
      return { max, killed }
    },
  }
}

/** GET `path` on the engine's socket: status, body and how long it took (a timeout counts as 10 s). */
function api(path: string, timeoutMs = 10_000): Promise<{ status: number; body: Buffer; ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const req = request({ socketPath: env.socket, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: Date.now() - started }))
    })
    const fail = () => resolve({ status: 0, body: Buffer.alloc(0), ms: timeoutMs })
    req.on('timeout', () => (req.destroy(), fail()))
    req.on('error', fail)
    req.end()
  })
}

/** Docker's multiplexed frames → the payload text. */
function demux(buf: Buffer): string {
  let out = ''
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4)
    out += buf.toString('utf8', i + 8, i + 8 + len)
    i += 8 + len
  }
  return out
}

async function ensureEngine(): Promise<void> {
  const e = env.engine
  if (e && e.exitCode === null && e.signalCode === null) return
  env.engine = undefined
  await env.startEngine()
}

t.test(`a container writing at full speed with a logs -f follower: ps answers in < 1 s, RSS < ${MAX_RSS_MB} MB for ${FOLLOW_SECONDS} s`, async (t) => {
  await env.ok(['run', '-d', '--name', 'spew', '--network', 'none', BUSYBOX, 'yes', 'all work and no play makes jack a dull boy'])
  const follower = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'logs', '-f', 'spew'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let followed = 0
  follower.stdout.on('data', (d: Buffer) => (followed += d.length))
  const rss = watchRss()
  const latencies: number[] = []
  const deadline = Date.now() + FOLLOW_SECONDS * 1000
  try {
    while (Date.now() < deadline) {
      const r = await api('/containers/json')
      latencies.push(r.status === 200 ? r.ms : 10_000)
      if (r.status !== 200 && env.engine?.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 250))
    }
  } finally {
    const { max, killed } = rss.stop()
    latencies.sort((a, b) => a - b)
    const worst = latencies.at(-1) ?? Infinity
    const p50 = latencies[Math.floor(latencies.length / 2)]
    t.comment(`ps through the API: ${latencies.length} calls, median ${p50} ms, worst ${worst} ms; engine RSS max ${Math.round(max)} MB; follower got ${Math.round(followed / 1e6)} MB`)
    t.notOk(killed, 'the engine never passed 1 GB')
    t.ok(worst < 1000, `every ps answered in under 1 s (worst ${worst} ms)`)
    t.ok(max < MAX_RSS_MB, `engine RSS stayed under ${MAX_RSS_MB} MB (max ${Math.round(max)} MB)`)
    t.ok(followed > 10e6, `the follower got the output (${Math.round(followed / 1e6)} MB)`)
    const ended = new Promise((r) => follower.once('exit', r))
    await ensureEngine()
    await env.tocker(['kill', 'spew'])
    const stopped = await Promise.race([ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))])
    t.ok(stopped, 'logs -f ended when the container stopped')
    if (!stopped) follower.kill('SIGKILL')
  }
  const id = (await env.ok(['inspect', '--format', '{{.Id}}', 'spew'])).trim()
  const size = statSync(join(env.root, 'containers', id, `${id}-json.log`)).size
  t.ok(size <= 10 * 1024 * 1024, `the log rotated at max-size (current file ${size} bytes)`)
  await env.ok(['rm', '-f', 'spew'])
})

t.test('a logs -f client that stops reading: the engine does not buffer the log for it', async (t) => {
  await ensureEngine()
  await env.ok(['run', '-d', '--name', 'spew2', '--network', 'none', BUSYBOX, 'yes', 'y'.repeat(200)])
  // A raw client: sends the request, reads the first bytes, then never reads again.
  const sock = connect(env.socket)
  sock.write('GET /containers/spew2/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: tocker\r\n\r\n')
  await new Promise<void>((resolve) => sock.once('data', () => resolve()))
  sock.pause()
  const rss = watchRss()
  let worst = 0
  for (let i = 0; i < 20; i++) {
    const r = await api('/containers/json')
    worst = Math.max(worst, r.status === 200 ? r.ms : 10_000)
    await new Promise((r) => setTimeout(r, 250))
  }
  const { max, killed } = rss.stop()
  t.notOk(killed)
  t.ok(max < MAX_RSS_MB, `engine RSS stayed under ${MAX_RSS_MB} MB with a stalled client (max ${Math.round(max)} MB)`)
  t.ok(worst < 1000, `ps answered in under 1 s (worst ${worst} ms)`)
  sock.destroy()
  await ensureEngine()
  await env.ok(['rm', '-f', 'spew2'])
})

/** POST with a JSON body to this engine; the parsed answer. */
const post = (path: string, body: unknown) => postJson(env.socket, path, body)

t.test('an exec whose client stops reading: the engine does not hold its output', async (t) => {
  await ensureEngine()
  await env.ok(['run', '-d', '--name', 'quiet', '--network', 'none', BUSYBOX, 'sleep', '600'])
  const created = await post('/containers/quiet/exec', { AttachStdout: true, AttachStderr: true, Cmd: ['yes', 'y'.repeat(200)] })
  t.equal(created.status, 201)
  // A raw client: starts the exec attached, reads the first bytes, then never reads again.
  const sock = connect(env.socket)
  const body = JSON.stringify({ Detach: false, Tty: false })
  sock.write(`POST /exec/${created.json.Id}/start HTTP/1.1\r\nHost: tocker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  await new Promise<void>((resolve) => sock.once('data', () => resolve()))
  sock.pause()
  const rss = watchRss()
  let worst = 0
  for (let i = 0; i < 20; i++) {
    const r = await api('/containers/json')
    worst = Math.max(worst, r.status === 200 ? r.ms : 10_000)
    await new Promise((r) => setTimeout(r, 250))
  }
  const { max, killed } = rss.stop()
  t.notOk(killed, 'the engine never passed 1 GB')
  t.ok(max < MAX_RSS_MB, `engine RSS stayed under ${MAX_RSS_MB} MB with a stalled exec client (max ${Math.round(max)} MB)`)
  t.ok(worst < 1000, `ps answered in under 1 s (worst ${worst} ms)`)
  sock.destroy()
  await ensureEngine()
  await env.ok(['rm', '-f', 'quiet'])
})

t.test('logs --tail 5 of a 30 MB log reads only its end; a full logs streams it', async (t) => {
  await ensureEngine()
  // ~330k lines of 40 characters: a 30+ MB json-file log (one file: max-size raised).
  await env.ok(['run', '--name', 'big', '--network', 'none', '--log-opt', 'max-size=100m', BUSYBOX, 'sh', '-c', "yes 'line of forty characters, more or less' | head -n 330000; echo the-end"])
  const id = (await env.ok(['inspect', '--format', '{{.Id}}', 'big'])).trim()
  const size = statSync(join(env.root, 'containers', id, `${id}-json.log`)).size
  t.ok(size > 30e6, `the log is ${Math.round(size / 1e6)} MB`)
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const r = await api(`/containers/big/logs?stdout=1&stderr=1&tail=5`)
    t.equal(r.status, 200)
    t.equal(demux(r.body), 'line of forty characters, more or less\n'.repeat(4) + 'the-end\n')
    times.push(r.ms)
  }
  const best = Math.min(...times)
  t.comment(`logs --tail 5 of a ${Math.round(size / 1e6)} MB log through the API: ${times.join(', ')} ms`)
  t.ok(best < 250, `--tail 5 answered in ${best} ms (it took 0.9-1.9 s when it parsed the whole log)`)
  const cli = await env.tocker(['logs', '--tail', '2', 'big'])
  t.equal(cli.stdout, 'line of forty characters, more or less\nthe-end\n')

  const rss = watchRss()
  const full = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'logs', 'big'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let bytes = 0
  full.stdout.on('data', (d: Buffer) => (bytes += d.length))
  const code = await new Promise((r) => full.on('exit', r))
  const { max, killed } = rss.stop()
  t.equal(code, 0)
  t.equal(bytes, 330000 * 39 + 8, 'every line arrived')
  t.notOk(killed)
  t.ok(max < MAX_RSS_MB, `engine RSS stayed under ${MAX_RSS_MB} MB during a full logs (max ${Math.round(max)} MB)`)
  await env.ok(['rm', 'big'])
})

// The attach of `run` follows the container's json-file log. A program printing 3 MB of 2-byte
// lines makes ~75 MB of json, seven rotations at the default max-size 10m / max-file 3, faster than
// the engine turns it into the client's stream: the shim unlinked files the follower had not read,
// and `run` printed 0.8-1.9 MB of the 3 MB (Docker's attach does not read the log and loses nothing).
t.test('run (attached) of a program printing 3 MB of short lines: every byte arrives across rotations', async (t) => {
  await ensureEngine()
  for (const rm of [['--rm'], []]) {
    const r = await env.tocker(['run', ...rm, '--network', 'none', BUSYBOX, 'sh', '-c', 'yes | head -c 3000000'])
    t.equal(r.code, 0)
    t.equal(r.stdout.length, 3000000, `run ${rm.join(' ')}: every byte arrived`)
    t.ok(/^(y\n)+$/.test(r.stdout), 'in order, none twice')
  }
  // The attach's pin went with it (a pin left would keep up to 15 more files of that log).
  const dirs = readdirSync(join(env.root, 'containers'))
  t.equal(dirs.length, 1, 'the run without --rm is there')
  t.same(readdirSync(join(env.root, 'containers', dirs[0]!)).filter((f) => f.endsWith('.attached')), [], 'no pin left')
  await env.ok(['container', 'prune', '-f'])
})

// The engine holds each new log file open as inotify tells it of one; an engine that does not run
// while the shim rotates more than max-file times (descheduled at load 9: CI's logs-cost lost two
// whole 10 MB files, `run` printed 2,443,554 of 3,000,000 bytes) learned of the files only after
// the rename had dropped them. The engine's pin (<log>.attached) makes the shim keep them.
// Here the engine is stopped (SIGSTOP) while the container prints ~15 MB of json at max-size 1m,
// max-file 2: ~15 rotations with nobody holding the files.
t.test('run (attached): an engine stopped while the shim rotates past max-file still delivers every byte', async (t) => {
  await ensureEngine()
  const pid = env.engine!.pid!
  const run = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'run', '--rm', '--network', 'none', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=2', BUSYBOX, 'sh', '-c', 'echo start; sleep 1; yes | head -c 400000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  run.stdout.setEncoding('latin1').on('data', (d: string) => (out += d))
  run.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)))
  // "start" has come through the attach: its follower (and pin) are in place.
  for (let i = 0; i < 200 && !out.startsWith('start\n'); i++) await new Promise((r) => setTimeout(r, 50))
  t.equal(out.slice(0, 6), 'start\n', 'the first line arrived')
  process.kill(pid, 'SIGSTOP')
  try {
    await new Promise((r) => setTimeout(r, 2500))
  } finally {
    process.kill(pid, 'SIGCONT')
  }
  t.equal(await exited, 0, err)
  t.equal(out.length, 6 + 400000, 'every byte arrived')
  t.ok(/^start\n(y\n)+$/.test(out), 'in order, none twice')
})

// What the pin makes the shim keep is the engine's number (ATTACH_PIN_FILES, given to the shim at
// create), the names attach's follower looks at: log … log.17. A number of the shim's own (16 past
// max-file) kept log.18 too at max-file 3, a file no follower would look at. Once the pin is gone
// one rotation drops the extra files, and the rotations after it unlink nothing: the shim tried 16
// unlinkat(2)s of names not there (ENOENT) at each rotation.
t.test('pinned, the shim keeps exactly the names the follower looks at; unpinned, no unlinkat of names not there', async (t) => {
  await ensureEngine()
  const wait = (file: string) => `while [ ! -e /tmp/${file} ]; do sleep 0.05; done`
  // 10000 short lines: ~75 rotations at max-size 10k; then one burst (a rotation or two) per signal.
  const script = `yes | head -c 20000; touch /tmp/burst; ${wait('go')}; yes | head -c 300; touch /tmp/burst2; ${wait('go2')}; yes | head -c 300; touch /tmp/burst3; exec sleep 600`
  const id = (await env.ok(['create', '--name', 'pinned', '--network', 'none', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', BUSYBOX, 'sh', '-c', script])).trim()
  const log = join(env.root, 'containers', id, `${id}-json.log`)
  const base = `${id}-json.log`
  /** The log's names there now, as numbers: 0 for the log itself, n for log.n. */
  const names = () =>
    readdirSync(join(env.root, 'containers', id))
      .map((f) => (f === base ? 0 : f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)) ? Number(f.slice(base.length + 1)) : -1))
      .filter((n) => n >= 0)
      .sort((a, b) => a - b)
  /** Wait until the container touched /tmp/<file> and the shim has written what came before it. */
  const burstDone = async (file: string) => {
    await until(async () => (await env.tocker(['exec', 'pinned', 'test', '-e', `/tmp/${file}`])).code === 0, file)
    let last = ''
    await until(async () => {
      const now = `${names().join()} ${statSync(log).size}`
      const same = now === last
      last = now
      await new Promise((r) => setTimeout(r, 200))
      return same
    }, 'the log to settle')
  }
  writeFileSync(`${log}.attached`, '') // an attach's pin, as engine/log-pin.ts makes it
  await env.ok(['start', 'pinned'])
  await burstDone('burst')
  t.same(names(), Array.from({ length: 18 }, (_, i) => i), 'pinned: log, log.1 … log.17 (ATTACH_PIN_FILES), no log.18')

  // The unpinned rotations, seen by strace on the shim (PID 1's parent).
  const pid1 = Number((await env.ok(['inspect', '--format', '{{.State.Pid}}', 'pinned'])).trim())
  const shim = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid1}/status`, 'utf8'))![1])
  const strace = spawn('strace', ['-f', '-e', 'trace=unlinkat', '-p', String(shim)], { stdio: ['ignore', 'ignore', 'pipe'] })
  let traced = ''
  strace.stderr.setEncoding('utf8').on('data', (d: string) => (traced += d))
  const straceEnded = new Promise((r) => strace.once('exit', r))
  try {
    await until(() => /attached/.test(traced), `strace to attach to the shim (${traced})`)
    unlinkSync(`${log}.attached`)
    await env.ok(['exec', 'pinned', 'touch', '/tmp/go'])
    await burstDone('burst2')
    t.same(names(), [0, 1, 2], 'the pin gone: one rotation drops the extra files (max-file 3)')
    await env.ok(['exec', 'pinned', 'touch', '/tmp/go2'])
    await burstDone('burst3')
  } finally {
    strace.kill('SIGINT')
    await straceEnded
  }
  const unlinks = traced.split('\n').filter((l) => l.includes('unlinkat('))
  t.equal(unlinks.filter((l) => /ENOENT/.test(l)).length, 0, `no unlinkat of a name not there (strace: ${unlinks.length} unlinkat calls)`)
  t.equal(unlinks.length, 15, 'log.3 … log.17 unlinked, once')
  t.same(names(), [0, 1, 2])
  await env.ok(['rm', '-f', 'pinned'])
})

t.test('clean up', async () => {
  await cleanup()
})
