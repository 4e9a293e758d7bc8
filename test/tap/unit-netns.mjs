// A unit test (a file under test/unit/) run as root gets a network namespace of its own, with only
// lo in it, before any of its code runs. Unit tests talk to the kernel through fakes and the suite
// runs them as uid 65534 (test/run.mjs), where a slip cannot change anything; but an engineer runs a
// file as root with `npx tap test/unit/…`, and a test whose fake was not installed (or a code path
// that went around the seam) then ran the real `ip` and `iptables` on this machine's own network:
// on 2026-12-04 such a run left a tocker0 bridge and a TOCKER chain set with a DNAT rule on the host.
//
// unshare(CLONE_NEWNET) moves only the calling thread (namespaces are per thread), here Node's main
// thread before the test's code loads. That is the thread that matters: child processes
// (child_process, posix_spawn) and netlink sockets opened from it belong to the new namespace, and
// so do threads created after it (libuv's pool starts lazily), and /proc/sys/net/* opened from it
// (sysctls are resolved in the opener's namespace). The namespace dies with the process.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

const CLONE_NEWNET = 0x40000000

if (process.getuid?.() === 0 && /(^|[\\/])test[\\/]unit[\\/]/.test(process.argv[1] ?? '')) {
  const koffi = createRequire(import.meta.url)('koffi')
  const unshare = koffi.load('libc.so.6').func('int unshare(int flags)')
  if (unshare(CLONE_NEWNET) !== 0) throw new Error(`test/tap/unit-netns.mjs: unshare(CLONE_NEWNET) failed (errno ${koffi.errno()}): a unit test as root must not run in the host's network namespace`)
  const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' })
  if (up.status !== 0) throw new Error(`test/tap/unit-netns.mjs: ip link set lo up: ${up.stderr || up.error?.message}`)
}
