// The habits CI keeps (npm run lint, one subtest each so a failure names which): the type check
// covers the tests too, ESLint (typescript-eslint's recommended rules), and the layering rule of
// the README (dependency-cruiser: imports point down, no cycles), and one code layout (dprint:
// npm run format). No root needed.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { REPO_ROOT } from './helpers/paths.js'

const ROOT = REPO_ROOT + '/'

for (
  const [script, what] of [
    ['lint:types', 'the type check covers src/, native-shims/ and test/'],
    ['lint:eslint', 'ESLint finds nothing'],
    ['lint:layers', 'imports point down the layers, no cycles'],
    ['format:check', 'the code is formatted (npm run format)'],
  ] as const
) {
  t.test(what, async (t) => {
    const r = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 })
    t.equal(r.status, 0, `npm run ${script}:\n${r.stdout}${r.stderr}`)
  })
}
