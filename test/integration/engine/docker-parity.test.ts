// Small things a learner following Docker's own docs sees, each compared with what Docker does:
// `run -w` into a directory the image does not have, the broadcast address of eth0 and of the
// bridge, rmi's refusal naming the image as it was typed, restart of an --rm container, an --rm
// container whose removal fails, and --format templates (the docker CLI, Go's text/template, as
// the reference). Real engine, real kernel.
// Runs in a private network namespace: containers on the default bridge get veths and rules there.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync, spawn } = await import('node:child_process')
const { join } = await import('node:path')
const { mkdtempSync, rmSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { engineTestBed, until, TOCKER_BIN, dockerCli } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const BUSYBOX = ref('busybox')
t.teardown(cleanup)

t.test('run -w makes a missing working directory, owned by root as Docker makes it (also with -u)', async (t) => {
  await env.ok(['pull', '-q', BUSYBOX])
  const r = await env.tocker(['run', '--rm', '--network', 'none', '-w', '/newdir/sub', BUSYBOX, 'sh', '-c', 'pwd; stat -c "%U:%G %a" /newdir /newdir/sub; ls -A /newdir/sub'])
  t.same([r.code, r.stdout, r.stderr], [0, '/newdir/sub\nroot:root 755\nroot:root 755\n', ''])
  // Docker (SetupWorkingDirectory) makes it as root, whoever the process runs as.
  const u = await env.tocker(['run', '--rm', '--network', 'none', '-u', '1000', '-w', '/work', BUSYBOX, 'sh', '-c', 'pwd; stat -c "%U:%G %a" .'])
  t.same([u.code, u.stdout], [0, '/work\nroot:root 755\n'], u.stderr)
  // It is in the container's own layer, as any other change.
  await env.ok(['create', '--name', 'wd', '--network', 'none', '-w', '/made/here', BUSYBOX, 'true'])
  await env.ok(['start', '-a', 'wd'])
  t.match(await env.ok(['diff', 'wd']), /^A \/made$/m)
  await env.ok(['rm', 'wd'])
  // An existing directory stays as it is; a file is refused with Docker's words, nothing left.
  const tmp = await env.tocker(['run', '--rm', '--network', 'none', '-w', '/tmp', BUSYBOX, 'stat', '-c', '%a', '.'])
  t.same([tmp.code, tmp.stdout], [0, '1777\n'])
  const before = await env.ok(['ps', '-aq'])
  const file = await env.tocker(['run', '--rm', '--network', 'none', '-w', '/etc/passwd', BUSYBOX, 'pwd'])
  t.equal(file.code, 125)
  t.match(file.stderr, /^tocker: Error response from daemon: Cannot mkdir: \/etc\/passwd is not a directory\n/)
  t.equal(await env.ok(['ps', '-aq']), before, 'no container left')
})

t.test('eth0 and the bridge have the broadcast address Docker gives them', async (t) => {
  const r = await env.tocker(['run', '--rm', BUSYBOX, 'sh', '-c', 'ip -4 addr show eth0; ifconfig eth0'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /inet 172\.17\.0\.\d+\/16 brd 172\.17\.255\.255 scope global eth0/)
  t.match(r.stdout, /Bcast:172\.17\.255\.255/, "busybox ifconfig, the learner's view")
  t.match(execFileSync('ip', ['-4', 'addr', 'show', 'tocker0'], { encoding: 'utf8' }), /inet 172\.17\.0\.1\/16 brd 172\.17\.255\.255 /)
  await env.ok(['network', 'create', '--subnet', '10.77.0.0/24', 'parity'])
  t.teardown(() => env.tocker(['network', 'rm', 'parity']))
  const u = await env.tocker(['run', '--rm', '--network', 'parity', BUSYBOX, 'ip', '-4', 'addr', 'show', 'eth0'])
  t.match(u.stdout, /inet 10\.77\.0\.2\/24 brd 10\.77\.0\.255 /, u.stderr)
})

t.test('restart of an --rm container starts it again (Docker does not remove it then); its next exit removes it', async (t) => {
  const id = (await env.ok(['run', '-d', '--rm', '--network', 'none', '--name', 'again', BUSYBOX, 'sleep', '100'])).trim()
  await env.ok(['restart', '-t', '1', 'again'])
  // The removal the old code queued behind the restart killed the new run a moment later.
  await new Promise((r) => setTimeout(r, 1500))
  t.equal((await env.ok(['ps', '--no-trunc', '--format', '{{.ID}} {{.Status}}', '--filter', 'name=again'])).split(' ')[0], id, 'the same container, running')
  t.match(await env.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^again Up /m)
  await env.ok(['stop', '-t', '1', 'again'])
  await until(async () => !(await env.ok(['ps', '-aq', '--no-trunc'])).includes(id), 'the --rm container removed at its exit')
})

t.test('an --rm container whose removal fails: run says so (125) instead of hanging, the container is Dead, rm works later', async (t) => {
  // An immutable runtime state directory (chattr +i, ext4): the runtime cannot delete its files.
  const run = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'run', '--rm', '--network', 'none', '--name', 'stuck', BUSYBOX, 'sh', '-c', 'i=0; while [ ! -e /go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo done'], {
    env: { ...process.env, TOCKER_NO_AUTOSTART: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  run.stdout.on('data', (d) => (out += d))
  run.stderr.on('data', (d) => (err += d))
  const ended = new Promise<number | null>((resolve) => run.on('close', (code) => resolve(code)))
  const timer = setTimeout(() => run.kill('SIGKILL'), 60_000)
  const id = await until(async () => /^true (\w+)$/.exec((await env.tocker(['inspect', '-f', '{{.State.Running}} {{.Id}}', 'stuck'])).stdout.trim())?.[1], 'the container running')
  const state = join(env.root, 'runtime', id)
  // An exec records its status under <state>/execs/: made now, before the directory is locked.
  await env.ok(['exec', 'stuck', 'true'])
  execFileSync('chattr', ['+i', state])
  let locked = true
  t.teardown(() => void (locked && execFileSync('chattr', ['-i', state])))
  // The container ends when told to (a file made through exec), not after a fixed sleep: at load 20 the
  // inspect polling above took longer than a 2 s sleep, the container was removed before the chattr
  // (CI: "chattr: No such file or directory"). Detached (-d): an attached exec asks for its exit
  // code after it ends, and the container's end (which this exec causes) forgets its execs, as
  // Docker's does (moby's Cleanup unregisters them): "No such exec instance" (CI, once).
  await env.ok(['exec', '-d', 'stuck', 'touch', '/go'])
  const code = await ended
  clearTimeout(timer)
  t.equal(code, 125, 'run ended (before the fix it waited for the removal forever)')
  t.equal(out, 'done\n')
  t.match(err, new RegExp(`^Error waiting for container: unable to remove container ${id}: `, 'm'))
  t.match(await env.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^stuck Dead$/m, 'Dead, as Docker marks it')
  const start = await env.tocker(['start', 'stuck'])
  t.same([start.code, start.stderr], [1, 'Error response from daemon: container is marked for removal and cannot be started\n'])
  execFileSync('chattr', ['-i', state])
  locked = false
  t.equal(await env.ok(['rm', 'stuck']), 'stuck\n')
  t.notMatch(await env.ok(['ps', '-a']), 'stuck')
})

t.test("inspect --format: Docker's documented templates give what the docker CLI (Go's text/template) gives", async (t) => {
  const config = mkdtempSync(join(tmpdir(), 'tocker-parity-docker-'))
  t.teardown(() => rmSync(config, { recursive: true, force: true }))
  const docker = dockerCli(env.socket, config)
  await env.ok(['run', '-d', '--name', 'fmt', '-l', 'com.example.vendor=ACME', '-l', 'version=1.0', '-e', 'A=1', '-p', '8080:80', '-p', '8443:443', BUSYBOX, 'sleep', '100'])
  const templates = [
    '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
    '{{index .Config.Labels "com.example.vendor"}}|{{index .Config.Labels "nope"}}',
    '{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}} {{end}}',
    '{{.Config.Labels}} {{json .Config.Labels}} {{json .NetworkSettings.Ports}}',
    '{{.Config.Env}} {{len .Config.Env}} {{join .Config.Cmd " "}}',
    '{{.NetworkSettings.Networks.bridge.Gateway}} {{.State.ExitCode}} {{.RestartCount}} {{.Mounts}}',
    '{{if eq .State.Status "running"}}up{{else}}down{{end}} {{title .State.Status}} {{upper .Name}} {{printf "%s/%d" .Name .State.ExitCode}}',
    '{{- range $k, $v := .Config.Labels -}} {{$k}}={{$v}}; {{- end}}',
  ]
  for (const f of templates) {
    const ours = await env.tocker(['inspect', '-f', f, 'fmt'])
    const theirs = await docker(['inspect', '-f', f, 'fmt'])
    t.same([ours.code, ours.stdout], [theirs.code, theirs.stdout], f)
    t.equal(theirs.code, 0, theirs.stderr)
  }
  await env.ok(['rm', '-f', 'fmt'])
})

t.test("busybox's wget crashing (Debian's static busybox, exit 139) gets a hint in English and Korean", async (t) => {
  const r = await env.tocker(['run', '--rm', '--network', 'none', BUSYBOX, 'wget', '-T', '2', '-qO-', 'http://127.0.0.1:1/'])
  t.equal(r.code, 139, "the crash itself is busybox's")
  t.match(r.stderr, /^Hint: busybox's wget crashed \(exit 139 = 128 \+ 11, SIGSEGV\)\. .*'timeout N wget …'/m)
  const ko = await env.tocker(['run', '--rm', '--network', 'none', BUSYBOX, 'sh', '-c', 'wget -T 2 -qO- http://127.0.0.1:1/'], { env: { LANG: 'ko_KR.UTF-8' } })
  t.equal(ko.code, 139)
  t.match(ko.stderr, /^힌트: busybox의 wget이 비정상 종료했습니다/m)
  const other = await env.tocker(['run', '--rm', '--network', 'none', BUSYBOX, 'sh', '-c', 'exit 139'])
  t.same([other.code, other.stderr], [139, ''], 'no hint for another program')
})

t.test('rmi of an image a container uses quotes the name as typed, as Docker does', async (t) => {
  await env.ok(['create', '--name', 'user', '--network', 'none', BUSYBOX, 'true'])
  for (const typed of [BUSYBOX, `${BUSYBOX}:latest`]) {
    const r = await env.tocker(['rmi', typed])
    t.equal(r.code, 1)
    t.match(r.stderr, `Error response from daemon: conflict: unable to remove repository reference "${typed}" (must force) - container `)
  }
  await env.ok(['rm', 'user'])
  await cleanup()
})
