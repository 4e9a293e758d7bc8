// The suite's leak check: what tocker's tests may leave on the machine, snapshotted before and after
// the run. Anything new after the run (a mount, a cgroup, a link or rule in the host's namespace, a
// process we start, a temp store, the default store /var/lib/tocker or /run/tocker where there was
// none) is a leak and fails the run.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
  } catch {
    return ''
  }
}

function mounts() {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 8)
    .map((f) => `${f[4]} (${f[f.indexOf('-') + 1]})`)
    .filter((m) => /tocker|overlay/.test(m))
}

/** Every directory under /sys/fs/cgroup (3 levels) whose name mentions tocker, sorted (also used by
 * test/integration/cgroups/host.test.ts: nothing may be left or written there). */
export function tockerCgroupDirs() {
  const found = []
  const walk = (dir, depth) => {
    if (depth > 3 || !existsSync(dir)) return
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      const p = `${dir}/${e.name}`
      if (/tocker/.test(e.name)) found.push(p)
      walk(p, depth + 1)
    }
  }
  walk('/sys/fs/cgroup', 0)
  return found.sort()
}

function links() {
  return run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n) => n && /^(veth|tocker)/.test(n))
}

function rules() {
  return [...run('iptables', ['-t', 'nat', '-S']).split('\n'), ...run('iptables', ['-S']).split('\n')].filter((r) => /tocker/i.test(r))
}

function processes() {
  const found = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    let cmd
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
    } catch {
      continue
    }
    if (/tockerd|tocker daemon|docker-registry|qemu-system|native-shims\/out\//.test(cmd)) found.push(`${pid} ${cmd.slice(0, 120)}`)
  }
  return found
}

function tempStores() {
  return readdirSync('/tmp')
    .filter((n) => n.startsWith('tocker-'))
    .map((n) => `/tmp/${n}`)
}

/**
 * The default store and run directory: a test must never make them (every test has a --root of its
 * own; the guide binds temp dirs there in its own mount namespace). A run that made one had a CLI
 * autostart an engine without --root, or a mkdir reach the host's filesystem.
 */
function defaultStores() {
  return ['/var/lib/tocker', '/run/tocker'].filter((p) => existsSync(p))
}

export function snapshot() {
  return { mounts: mounts(), cgroups: tockerCgroupDirs(), links: links(), rules: rules(), processes: processes(), tempStores: tempStores(), defaultStores: defaultStores() }
}

/** What is in `after` and was not in `before`, per kind; empty object when nothing leaked. */
export function leaks(before, after) {
  const out = {}
  for (const kind of Object.keys(after)) {
    const old = new Set(before[kind])
    const added = after[kind].filter((x) => !old.has(x))
    if (added.length) out[kind] = added
  }
  return out
}
