// A private network namespace for networking tests and benchmarks (plain JS so .mjs benchmarks can
// use it too). The test file re-executes itself — same node, same loader flags, same arguments —
// under `unshare --net --mount`, so bridges, veths, routes, sysctls and iptables rules it makes all
// live in a namespace that disappears with the process. The host's own network is never touched.
//
//   import { inNetSandbox, reexecInNetSandbox, prepareNetSandbox } from '../../helpers/netns-sandbox.mjs'
//   if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
//   prepareNetSandbox()
//   const { default: t } = await import('tap')   // import tap only inside (the parent must print nothing)
import { spawn, spawnSync } from 'node:child_process'
import { readlinkSync } from 'node:fs'

export const SANDBOX_ENV = 'TOCKER_NET_SANDBOX'
/** The namespace the test started in ("net:[4026531840]"), so the re-executed copy can check it left it. */
const OUTER_ENV = 'TOCKER_NET_SANDBOX_OUTER'

export function inNetSandbox() {
  return process.env[SANDBOX_ENV] === '1'
}

/** Run this same script again in new network and mount namespaces; resolves with its exit code. */
export function reexecInNetSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, [SANDBOX_ENV]: '1', [OUTER_ENV]: netnsOf('self') },
    })
    // tap's timeout is SIGALRM, then SIGKILL 500 ms later: by default SIGALRM ended this process
    // and left the copy inside (and its engine) running. It goes to the copy, which ends its test.
    const forward = (sig) => child.kill(sig)
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM']) process.on(sig, forward)
    child.on('error', reject)
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)))
  })
}

function netnsOf(pid) {
  return readlinkSync(`/proc/${pid}/ns/net`)
}

/**
 * Inside the sandbox: make sure it is one and bring its loopback up. /sys is left as it is (a fresh
 * sysfs would show this namespace's links under /sys/class/net but would also hide the cgroup
 * mounts under /sys/fs/cgroup that the runtime needs); nothing in src/network reads /sys.
 */
export function prepareNetSandbox() {
  const outer = process.env[OUTER_ENV]
  if (!inNetSandbox() || !outer || netnsOf('self') === outer) {
    throw new Error('refusing to run: this process is in the host network namespace (not re-executed under unshare --net)')
  }
  const lo = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' })
  if (lo.status !== 0) throw new Error(`ip link set lo up: ${lo.stderr}`)
  // The copy outside killed (tap's SIGKILL): exit too, so that the 'exit' handlers end what this
  // test started (its engine, by PID) instead of leaving it orphaned. Our parent is that copy
  // (unshare exec'd us); once it is gone the kernel gives us another one.
  const parent = process.ppid
  // A signal (tap's timeout SIGALRM, forwarded by the copy outside): tap reports the timeout in its
  // own handler, then re-raises the signal when nobody else listens, and a process ended by a signal
  // runs no 'exit' handler: its engine ran on. Listening here, we end it with process.exit() once
  // tap has written its report, so the handlers run.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM']) process.on(sig, () => setTimeout(() => process.exit(1), 300))
  setInterval(() => {
    if (process.ppid !== parent) {
      process.stderr.write('netns sandbox: the test runner went away; ending this test\n')
      process.exit(1)
    }
  }, 250).unref()
}

/**
 * A "container" for network tests: a process in a network namespace of its own. `argv` defaults
 * to a long sleep; the namespace lives as long as the process. Resolves once the process is in
 * its new namespace. stop() kills it by pid (and so the namespace, and with it its veth end).
 */
export function startInNewNetns(argv = ['sleep', '600'], opts = {}) {
  const child = spawn('unshare', ['--net', '--', ...argv], { stdio: opts.stdio ?? 'ignore', ...opts })
  const mine = netnsOf('self')
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    const started = Date.now()
    const poll = () => {
      let ns
      try {
        ns = netnsOf(child.pid)
      } catch {
        return reject(new Error(`${argv.join(' ')} exited before its namespace was ready`))
      }
      if (ns !== mine) {
        return resolve({
          pid: child.pid,
          netns: `/proc/${child.pid}/ns/net`,
          child,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r()
              child.once('exit', () => r())
              process.kill(child.pid, 'SIGKILL')
            }),
        })
      }
      if (Date.now() - started > 5000) return reject(new Error('timed out waiting for unshare'))
      setTimeout(poll, 2)
    }
    poll()
  })
}

/** Start a command inside an existing network namespace (nsenter --net=PATH). */
export function spawnInNetns(netns, argv, opts = {}) {
  return spawn('nsenter', [`--net=${netns}`, '--', ...argv], { stdio: 'ignore', ...opts })
}

/** Run a command inside a network namespace to completion: { status, stdout, stderr }. */
export function runInNetns(netns, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netns}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** Kill a process we started, by pid, and wait for it to be gone. */
export function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    process.kill(child.pid, 'SIGKILL')
  })
}
