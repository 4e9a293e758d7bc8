// The CLI at a terminal and in pipes, through a real engine and the real kernel: Ctrl-P Ctrl-Q
// (and --detach-keys) on `run -it`, `attach` and `exec -it` under a pseudo-terminal (util-linux
// `script`), three Ctrl-C force-exiting a foreground run, EPIPE on `| head -1`, `--explain` after
// the command's name, the package-manager hint for exit 127, version/info, Korean hints.
// Runs in a private network namespace (containers on the default bridge get veths there).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn } = await import('node:child_process')
const { setTimeout: sleep } = await import('node:timers/promises')
const { engineTestBed, TOCKER_BIN, until } = await import('../engine/harness.js')
const { shellLine, underPty: underPtyHelper } = await import('../../helpers/pty.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const BUSYBOX = ref('busybox')
t.teardown(cleanup)

const CHILD_ENV = { ...process.env, NODE_OPTIONS: '', TOCKER_NO_AUTOSTART: '1', LANG: 'C', LC_ALL: '' }
const tockerLine = (args: string[]) => shellLine([process.execPath, TOCKER_BIN, '--root', env.root, ...args])

/** A command under a pseudo-terminal: keys typed one read at a time, the terminal's output read back. */
const underPty = (args: string[]) => underPtyHelper([process.execPath, TOCKER_BIN, '--root', env.root, ...args], CHILD_ENV)

function shell(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

t.test('the image is pulled once for the tests that follow', async (t) => {
  t.equal((await env.tocker(['pull', '-q', BUSYBOX])).code, 0)
})

t.test('Ctrl-P Ctrl-Q detaches run -it and leaves the shell running; attach and exec -it under a terminal', async (t) => {
  const run = underPty(['run', '-it', '--name', 'd1', BUSYBOX, 'sh'])
  await run.waitFor(/\/ # /, 'the shell prompt')
  await run.type('echo hello-$((1+1))\r')
  await run.waitFor(/hello-2/, 'the command output')
  await run.type([16])
  t.equal(await run.exitWithin(300), undefined, 'Ctrl-P alone does nothing yet')
  await run.type([17])
  t.equal(await run.exitWithin(10_000), 0, 'Ctrl-Q completes the sequence: run returns 0')
  t.match(await env.ok(['ps', '--filter', 'name=d1', '--format', '{{.Status}}']), /^Up /, 'the container runs on')

  const attach = underPty(['attach', '--detach-keys=ctrl-a,x', 'd1'])
  await sleep(500)
  await attach.type('echo again-$((2+2))\r')
  await attach.waitFor(/again-4/, 'the shell answers after attach: its stdin stayed open')
  await attach.type([1])
  await attach.type('x')
  t.equal(await attach.exitWithin(10_000), 1, "attach: the detach keys end it with Docker's error")
  t.match(attach.output(), /read escape sequence/)
  t.match(await env.ok(['ps', '--filter', 'name=d1', '--format', '{{.Status}}']), /^Up /)

  const exec = underPty(['exec', '-it', 'd1', 'sh'])
  await exec.waitFor(/\/ # /, 'the exec shell prompt')
  await exec.type('tty; exit 3\r')
  t.equal(await exec.exitWithin(10_000), 3, "exec -it: the exit code is the process's")
  t.match(exec.output(), /\/dev\/pts\/\d+/, 'it had a terminal')
  t.equal((await env.tocker(['rm', '-f', 'd1'])).code, 0)
})

t.test("three SIGINTs force-exit a foreground run as Docker's CLI does; the container goes on", async (t) => {
  const child = spawn(process.execPath, [TOCKER_BIN, '--root', env.root, 'run', '--name', 'sig3', BUSYBOX, 'sleep', '60'], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)))
  await until(async () => /^Up /.test(await env.ok(['ps', '--filter', 'name=sig3', '--format', '{{.Status}}'])), 'sig3 running')
  for (let i = 0; i < 2; i++) {
    child.kill('SIGINT')
    await sleep(300)
  }
  t.equal(child.exitCode, null, 'two are forwarded (PID 1 ignores SIGINT), the CLI stays')
  child.kill('SIGINT')
  t.equal(await exited, 1)
  t.equal(stderr, '\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n')
  t.match(await env.ok(['ps', '--filter', 'name=sig3', '--format', '{{.Status}}']), /^Up /)
  t.equal((await env.tocker(['rm', '-f', 'sig3'])).code, 0)
})

t.test('a reader that goes away (| head -1) ends the CLI quietly', async (t) => {
  const status = (pipe: string) => `${pipe}; echo "status=\${PIPESTATUS[0]}" >&2`
  const run = await shell(status(`${tockerLine(['run', '--rm', BUSYBOX, 'seq', '1', '200000'])} | head -1`))
  t.equal(run.stdout, '1\n')
  t.match(run.stderr, /^status=(0|141)\n$/, `no stack trace: ${run.stderr}`)
  await env.ok(['run', '--name', 'chatty', BUSYBOX, 'seq', '1', '200000'])
  const logs = await shell(status(`${tockerLine(['logs', 'chatty'])} | head -1`))
  t.same([logs.stdout, logs.stderr], ['1\n', 'status=141\n'])
  const wide = await shell(status(`${tockerLine(['ps', '-a', '--format', `${'x'.repeat(100_000)}{{.Names}}`])} | head -c 5`))
  t.same([wide.stdout, wide.stderr], ['xxxxx', 'status=141\n'])
  t.equal((await env.tocker(['rm', 'chatty'])).code, 0)
})

t.test('--explain after the command name, for run and exec', async (t) => {
  const r = await env.tocker(['run', '--explain', '--rm', BUSYBOX, 'true'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /▸ Namespaces — [^\n]*\n    unshare\(CLONE_NEWNS/, 'the phases, the namespaces among them')
  await env.ok(['run', '-d', '--name', 'ex1', BUSYBOX, 'sleep', '60'])
  const e = await env.tocker(['exec', '--explain=full', 'ex1', 'true'])
  t.equal(e.code, 0, e.stderr)
  t.match(e.stderr, /\[engine\] /)
  const plain = await env.tocker(['exec', 'ex1', 'echo', '--explain'])
  t.same([plain.stdout, plain.stderr], ['--explain\n', ''], "after the container's command it is the command's argument")
  t.equal((await env.tocker(['rm', '-f', 'ex1'])).code, 0)
})

t.test('exit 127 of a package manager in a minimal image: a hint that says what the image has', async (t) => {
  const direct = await env.tocker(['run', '--rm', BUSYBOX, 'apt', 'update'])
  t.equal(direct.code, 127)
  t.match(direct.stderr, /^tocker: Error response from daemon: .*apt/)
  t.match(direct.stderr, new RegExp(`Hint: the image ${BUSYBOX.replace(/[.]/g, '\\.')} has no package manager \\(apt is not there\\).*An editor is there already: vi`))
  const viaShell = await env.tocker(['run', '--rm', BUSYBOX, 'sh', '-c', 'apt update && apt install nano'], { env: { LANG: 'ko_KR.UTF-8' } })
  t.equal(viaShell.code, 127)
  const lines = viaShell.stderr.trim().split('\n')
  t.match(lines[0], /apt: not found/, "the container's own words first")
  t.match(lines[1], /^Hint: the image .* has no package manager/)
  t.match(lines[2], /^힌트: 이미지 .*에는 패키지 관리자가 없습니다.*편집기 vi/)
  const typo = await env.tocker(['run', '--rm', BUSYBOX, 'sh', '-c', 'nosuchcmd'])
  t.same([typo.code, typo.stderr], [127, 'sh: nosuchcmd: not found\n'], 'other commands: no probe, no hint')
  t.equal(await env.ok(['ps', '-aq']), '', 'the probe container is gone')
})

t.test("a registry that cannot be resolved: Docker's line, then how to work offline", async (t) => {
  // This namespace has no network: the name does not resolve, as on a lab machine without internet.
  const r = await env.tocker(['pull', 'registry.example.org/busybox'], { env: { LANG: 'ko_KR.UTF-8' } })
  t.equal(r.code, 1)
  const lines = r.stderr.split('\n')
  t.equal(lines[0], 'Error response from daemon: Get "https://registry.example.org/v2/": dial tcp: lookup registry.example.org: no such host')
  t.match(lines[1], /^Hint: the registry registry\.example\.org could not be found.*tocker load -i .*registry-mirrors/)
  t.match(lines[2], /^힌트: 레지스트리 registry\.example\.org의 주소를 찾지 못했습니다/)
})

t.test("version and info from the engine, shaped like Docker's", async (t) => {
  const v = await env.tocker(['version'])
  t.equal(v.code, 0, v.stderr)
  t.match(v.stdout, /^Client:\n Version: +\d+\.\d+\.\d+\n API version: +1\.\d+\n/)
  t.match(v.stdout, /\n\nServer: tocker\n Engine:\n {2}Version: +\d+\.\d+\.\d+\n {2}API version: +1\.\d+ \(minimum version 1\.\d+\)\n/)
  t.match(JSON.parse(await env.ok(['version', '--format', 'json'])).Server.ApiVersion, /^1\.\d+$/)
  const i = await env.tocker(['info'])
  t.equal(i.code, 0, i.stderr)
  t.match(i.stdout, /^Client:\n Version: +\S+\n Context: +default\n Debug Mode: false\n\nServer:\n Containers: \d+\n {2}Running: \d+\n {2}Paused: 0\n {2}Stopped: \d+\n/)
  t.match(i.stdout, new RegExp(`\\n Docker Root Dir: ${env.root}\\n`))
  t.match(i.stdout, /\n Storage Driver: overlay2\n/)
  t.match(i.stdout, /\n Cgroup Driver: \w+\n Cgroup Version: [12]\n/)
  t.match(i.stdout, /\n Kernel Version: \d+\.\d+/)
  t.match(i.stdout, /\n CPUs: [1-9]\d*\n Total Memory: [\d.]+GiB\n/)
  t.match(i.stdout, /\n Images: 1\n/, 'busybox, pulled by the first test')
  t.match(i.stdout, /\n Default Address Pools:\n {3}Base: \d+\.\d+\.\d+\.\d+\/\d+, Size: \d+\n/, 'the bridge subnet')
  t.equal((await env.ok(['info', '--format', '{{.DockerRootDir}}'])).trim(), env.root)
  t.equal((await env.ok(['system', 'info', '--format', '{{.OSType}}'])).trim(), 'linux')
})

t.test("Korean: Docker's English line first, then a Korean hint", async (t) => {
  await env.ok(['run', '-d', '--name', 'busy', BUSYBOX, 'sleep', '60'])
  const r = await env.tocker(['rm', 'busy'], { env: { LANG: 'ko_KR.UTF-8' } })
  t.equal(r.code, 1)
  const [first, second] = r.stderr.split('\n')
  t.equal(first, 'Error response from daemon: cannot remove container "/busy": container is running: stop the container before removing or force remove')
  t.match(second, /^힌트: 실행 중인 컨테이너는 지울 수 없습니다.*'tocker stop busy'/)
  const en = await env.tocker(['rm', 'busy'])
  t.equal(en.stderr.split('\n').length, 2, "English: Docker's line only")
  t.equal((await env.tocker(['rm', '-f', 'busy'])).code, 0)
})

t.test('clean-up', async () => {
  await cleanup()
})
