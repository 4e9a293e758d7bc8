// `tocker runtime …` from the CLI loads tocker-runtime.cjs into the CLI's own process, after the
// CLI's chunk has run its own copy of the few runtime modules it imports (runtime/state.ts, and what
// that reaches: cgroups, sys). koffi refuses a type name declared twice in one process, so any
// native-shims module with a named koffi type (koffi.struct, proc.ts's tocker_iovec) reachable from
// there made every `tocker runtime` command die with "Duplicate type name" (a first version of
// 3a4ac1b did, through sys/mount-table.ts). Runs the built bundle (npm run build).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

t.test('tocker runtime list runs from the CLI bundle', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-runtime-bundle-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const env = { ...process.env }
  delete env.TOCKER_NO_BUNDLE
  delete env.NODE_EXTRA_CA_CERTS
  const r = spawnSync(join(repo, 'bin', 'tocker'), ['runtime', '--state-root', root, 'list'], { encoding: 'utf8', env })
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr.slice(0, 300)})`)
  t.match(r.stdout, /^ID\s+PID\s+STATUS/, 'the table header')
})
