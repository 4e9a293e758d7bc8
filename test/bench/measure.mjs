// What a benchmark measures of a client command: wall time, and the user and system CPU of the
// command and its children, plus (withDaemon) what a daemon's process tree spent meanwhile. Shared by
// the benchmarks that put tocker beside another tool (build.mjs, pull.mjs).
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100)

/** /proc/<pid>/stat: [ppid, user ticks incl. reaped children, system ticks incl. reaped children]. */
function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return [Number(f[1]), Number(f[11]) + Number(f[13]), Number(f[12]) + Number(f[14])]
  } catch {
    return undefined // gone
  }
}

/** CPU ticks of a process and all its descendants (threads are in their process's numbers). */
export function treeCpu(root) {
  const stats = new Map()
  for (const p of readdirSync('/proc')) if (/^\d+$/.test(p)) stats.set(Number(p), procStat(p))
  const cpu = { user: 0, sys: 0 }
  const todo = [root]
  while (todo.length) {
    const pid = todo.pop()
    const st = stats.get(pid)
    if (!st) continue
    cpu.user += st[1]
    cpu.sys += st[2]
    for (const [child, cs] of stats) if (cs?.[0] === pid) todo.push(child)
  }
  return cpu
}

/**
 * Run a client command to its end; resolves with { out, err, wall, user, sys } (seconds), its CPU
 * including its children's (read by the wrapping shell from its own /proc/$$/stat after the command
 * ended). Rejects on a non-zero exit, or after `timeoutMs` (default 10 min: the command is killed).
 */
export function client(cmd, args, opts = {}) {
  const { timeoutMs = 600_000, ...spawnOpts } = opts
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn('sh', ['-c', '"$@"; s=$?; cat /proc/$$/stat >&3; exit $s', 'sh', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], ...spawnOpts })
    let out = ''
    let err = ''
    let stat = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.stdio[3].on('data', (d) => (stat += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const wall = Number(process.hrtime.bigint() - start) / 1e9
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${(err || out).trim().split('\n').slice(-15).join('\n')}`))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      resolve({ out, err, wall, user: Number(f[13]) / TICK, sys: Number(f[14]) / TICK })
    })
  })
}

/** A client command plus what a daemon's process tree spent meanwhile. */
export async function withDaemon(daemonPid, run) {
  const before = treeCpu(daemonPid)
  const r = await run()
  const after = treeCpu(daemonPid)
  // client: the client's own CPU (seconds), before the daemon's is added.
  return { ...r, client: r.user + r.sys, user: r.user + (after.user - before.user) / TICK, sys: r.sys + (after.sys - before.sys) / TICK }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

/** Wait until a daemon answers GET /_ping on its socket (it must not exit meanwhile). */
export async function waitForSocket(path, child) {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${path}: the daemon exited ${child.exitCode}`)
    if (spawnSync('curl', ['-sf', '--unix-socket', path, 'http://d/_ping'], { stdio: 'ignore' }).status === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${path} did not answer`)
}
