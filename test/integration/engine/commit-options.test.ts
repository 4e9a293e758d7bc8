// `tocker commit` beyond the basics (commit-diff.test.ts): --change lines expanded with the
// container's environment as Docker's BuildFromConfig does (`-c 'ENV B=$A'`, quotes removed,
// ${VAR:-default}), the same for `import -c`; and --pause (the default): the container frozen with
// cgroup v2's freezer while its layer is read, or — on a host where the container has no cgroup v2
// (this one: cgroup v1 or hybrid) — not paused, as --pause=false, and --explain says why in English
// and Korean. --explain of cp shows the in-root resolution and the writable layer written. Runs in a
// private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { engineTestBed } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const work = mkdtempSync(join(tmpdir(), 'tocker-commit-opt-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

await env.ok(['run', '-d', '--name', 'c1', '-e', 'A=from-container', '-e', 'HOME=/root', BUSYBOX, 'sleep', '600'])

t.test("--change: $VAR expanded with the container's environment, quotes removed", async (t) => {
  const r = await env.tocker([
    'commit',
    '-c',
    'ENV B=$A C="two words" D=${NOPE:-fallback}',
    '-c',
    'LABEL origin=${A}',
    '-c',
    'WORKDIR $HOME/work',
    '-c',
    'CMD echo $A',
    'c1',
    'me/expanded',
  ])
  t.equal(r.code, 0, r.stderr)
  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'me/expanded']))
  t.ok(img.Config.Env.includes('B=from-container'), "ENV B=$A: the container's A")
  t.ok(img.Config.Env.includes('C=two words'), 'quotes removed')
  t.ok(img.Config.Env.includes('D=fallback'), '${VAR:-default}')
  t.equal(img.Config.Labels.origin, 'from-container')
  t.equal(img.Config.WorkingDir, '/root/work')
  t.same(img.Config.Cmd, ['/bin/sh', '-c', 'echo $A'], 'CMD is not expanded (the shell does it when it runs)')
  t.equal(await env.ok(['run', '--rm', 'me/expanded']), 'from-container\n')
  const bad = await env.tocker(['commit', '-c', 'ENV X=${NOPE:?missing}', 'c1'])
  t.equal(bad.code, 1)
  t.equal(bad.stderr.split('\n')[0], 'Error response from daemon: failed to process "${NOPE:?missing}": NOPE: missing', "Docker's words")
})

t.test('import -c expands too (an empty environment)', async (t) => {
  const tar = join(work, 'fs.tar')
  await env.ok(['export', '-o', tar, 'c1'])
  const r = await env.tocker(['import', '-c', 'ENV P=/x Q=$P:${P}-$UNSET', tar, 'me/imp'])
  t.equal(r.code, 0, r.stderr)
  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'me/imp']))
  t.same(img.Config.Env, ['P=/x', 'Q=:-'], 'expanded with the environment before the instruction, as Docker')
})

t.test('--pause: frozen with cgroup v2, else not paused and --explain says why', async (t) => {
  const r = await env.tocker(['--explain=full', 'commit', 'c1', 'me/paused'])
  t.equal(r.code, 0, r.stderr)
  const out = r.stdout + r.stderr
  const froze = /cgroup\.freeze/.test(out)
  const said = /the container is not paused during the commit \(as with --pause=false\): .+ never writes to cgroup v1/.test(out)
  t.ok(froze !== said, `either frozen (cgroup.freeze written) or told why not: ${froze ? 'frozen' : 'not paused'}`)
  if (froze) t.match(out, /cgroup\.freeze ← 0/, 'thawed again')
  const ko = await env.tocker(['--explain', 'commit', 'c1'], { env: { LANG: 'ko_KR.UTF-8' } })
  t.match(ko.stdout + ko.stderr, /커밋/, 'its phase, in Korean')
  t.match(ko.stdout + ko.stderr, froze ? /얼립니다/ : /커밋하는 동안 컨테이너를 멈추지 않습니다/, 'the note in Korean')
  const off = await env.tocker(['--explain=full', 'commit', '--pause=false', 'c1'])
  t.equal(off.code, 0, off.stderr)
  t.notMatch(off.stdout + off.stderr, /cgroup\.freeze|not paused during the commit/, '--pause=false: no freezing, nothing to say')
  t.equal(await env.ok(['exec', 'c1', 'echo', 'alive']), 'alive\n', 'the container runs on after the commit')
})

t.test('cp --explain: the in-root resolution and the writable layer written', async (t) => {
  writeFileSync(join(work, 'f.txt'), 'f\n')
  const r = await env.tocker(['--explain=full', 'cp', join(work, 'f.txt'), 'c1:/tmp'])
  t.equal(r.code, 0, r.stderr)
  const out = r.stdout + r.stderr
  t.match(out, /RESOLVE_IN_ROOT/, 'openat2 with RESOLVE_IN_ROOT')
  t.match(out, /\/proc\/\d+\/root/, "the running container's root")
  t.match(out, new RegExp(`${env.root}/containers/[0-9a-f]{64}/upper`), 'the upper dir written')
  const ko = await env.tocker(['--explain', 'cp', join(work, 'f.txt'), 'c1:/tmp'], { env: { LANG: 'ko_KR.UTF-8' } })
  t.match(ko.stdout + ko.stderr, /컨테이너의 파일/, 'its phase, in Korean')
  t.match(ko.stdout + ko.stderr, /쓰기 레이어/, 'the notes in Korean')
  t.match(ko.stdout + ko.stderr, /openat2\(.*RESOLVE_IN_ROOT/, 'the call as the kernel spells it')
  await env.ok(['stop', '-t', '0', 'c1'])
  const stopped = await env.tocker(['--explain=full', 'cp', join(work, 'f.txt'), 'c1:/tmp'])
  t.equal(stopped.code, 0, stopped.stderr)
  t.match(stopped.stdout + stopped.stderr, /private mount namespace/, "a stopped container's overlay, mounted for the copy alone")
})

t.test('cleanup', async () => {
  await env.ok(['rm', '-f', 'c1'])
})
