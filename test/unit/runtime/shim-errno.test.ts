// The shim words the kernel's errors as glibc does, whichever C library it is linked with
// (native-shims/build.mjs links it with musl when musl-tools is installed, and musl's own words
// differ: ENAMETOOLONG "Filename too long", ELOOP "Symbolic link loop"). Its messages reach the
// user as runc's and Docker's would (Go's table is glibc's); shim/errno-text.h says how.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { repoPath } from '../../helpers/paths.js'

const shim = repoPath('native-shims', 'out', 'shim')

t.test("a name too long: glibc's words, not musl's", async (t) => {
  // create opens its state dir first (after the fork that detaches it; that child says why it
  // failed on stderr): a path component of 300 bytes is ENAMETOOLONG, before any privilege is needed.
  const dir = `/tmp/${'a'.repeat(300)}`
  const r = spawnSync(shim, ['create', '--state-dir', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'ignore'] })
  t.equal(r.error, undefined)
  t.match(r.stderr, `tocker-shim: open ${dir}: File name too long`)
  t.notMatch(r.stderr, /Filename too long/)
})
