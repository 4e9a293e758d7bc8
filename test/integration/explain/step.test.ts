// `tocker --step`, through a real engine and the real kernel, under a pseudo-terminal (util-linux
// `script`): it pauses after each phase of `run` and shows what the phase changed in the kernel
// (namespaces beside the host's, new mounts, pivot_root, capabilities and seccomp, the veth and the
// DNAT rule, what the exit took down); it refuses without a terminal and with -i, before anything
// is made; Ctrl-C at a pause makes the engine undo the half-made container.
// Runs in a private network namespace (containers on the default bridge get veths there).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawnSync } = await import('node:child_process')
const { existsSync } = await import('node:fs')
const { join } = await import('node:path')
const { setTimeout: sleep } = await import('node:timers/promises')
const { engineTestBed, TOCKER_BIN, until } = await import('../engine/harness.js')
const { underPty: underPtyHelper } = await import('../../helpers/pty.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const BUSYBOX = ref('busybox')
t.teardown(cleanup)
const C = { LANG: 'C', LC_ALL: '', LC_MESSAGES: '' }
await env.ok(['pull', BUSYBOX])

const CHILD_ENV = { ...process.env, NODE_OPTIONS: '', TOCKER_NO_AUTOSTART: '1', ...C }
const underPty = (args: string[]) => {
  const p = underPtyHelper([process.execPath, TOCKER_BIN, '--root', env.root, ...args], CHILD_ENV, 120_000)
  return { ...p, output: () => p.output().replace(/\r/g, ''), type: (s: string) => void p.type(s) }
}

const prompts = (s: string) => s.split('Enter to continue').length - 1

t.test('--step walks through the phases, showing what each changed in the kernel', async (t) => {
  const p = underPty(['--step', 'run', '--rm', '-p', '8081:80', BUSYBOX, 'true'])
  const pauses: string[] = []
  for (let answered = 0;; answered++) {
    const done = await Promise.race([until(() => prompts(p.output()) > answered, `pause ${answered + 1}`, 60_000).then(() => false), p.exited.then(() => true)])
    if (done) break
    pauses.push(/⏸ in the kernel now \(([^)]+)\):(?![^]*⏸)/.exec(p.output())?.[1] ?? '?')
    await sleep(100)
    p.type('\n')
  }
  t.equal(await p.exited, 0, p.output())
  t.same(pauses, ['Namespaces', 'Root filesystem', '/dev, /sys and masked paths', 'pivot_root', 'Capabilities, seccomp', 'Network', 'After the exit'])
  const out = p.output()
  t.match(out, /namespaces \(container vs host\):\n\s+mnt \d+≠\d+ uts \d+≠\d+ ipc \d+≠\d+/, "the new namespaces beside the host's")
  t.match(out, /\+ 1 mount\(s\) under <root>\/containers\/[0-9a-f]{12}\/rootfs[^\n]*\n\s+root: \/=overlay/, 'the overlay, as the first new mount')
  t.match(out, /proc: \/proc=proc/)
  t.match(out, /= \d+ mounts: the overlay and everything on it are now its \/ tree\n\s+- \d+ mount\(s\) gone from its view/, 'pivot_root')
  t.match(out, /\/proc\/<pid>\/status: CapBnd 14[^\n]*Seccomp 2 \(filter\)/)
  t.match(out, /\+ iptables -t nat -A TOCKER -p tcp -m tcp --dport 8081 -j DNAT/)
  t.match(out, /- iptables -t nat -A TOCKER -p tcp -m tcp --dport 8081 -j DNAT/, 'and gone after the exit')
  t.match(out, /▸ Removal/)
})

t.test('--step refuses without a terminal, before anything is made', async (t) => {
  const before = (await env.ok(['ps', '-aq'])).trim()
  const r = await env.tocker(['--step', 'run', '--rm', BUSYBOX, 'true'], { env: C })
  t.equal(r.code, 1)
  t.match(r.stderr, /^the input device is not a TTY: --step waits for Enter after each phase, run it in a terminal\n/)
  t.equal((await env.ok(['ps', '-aq'])).trim(), before, 'no container made')
  const i = underPty(['--step', 'run', '-i', '--rm', BUSYBOX, 'true'])
  t.equal(await i.exited, 125)
  t.match(i.output(), /--step cannot be used with -i\/--interactive/)
})

t.test('Ctrl-C at a pause: the engine undoes the half-made container', async (t) => {
  const p = underPty(['--step', 'run', '--name', 'halfway', '-p', '8082:80', BUSYBOX, 'sleep', '300'])
  await until(() => prompts(p.output()) >= 1, 'the first pause', 60_000)
  p.type('\n')
  await until(() => prompts(p.output()) >= 2, 'the second pause', 60_000)
  p.type('\u0003')
  t.equal(await p.exited, 130, p.output())
  const id = (await env.ok(['ps', '-aq', '--no-trunc', '--filter', 'name=halfway'])).trim()
  t.match(id, /^[0-9a-f]{64}$/)
  await until(() => !existsSync(join(env.root, 'runtime', id)), 'the runtime state gone', 20_000)
  t.match((await env.ok(['ps', '-a', '--filter', 'name=halfway', '--format', '{{.Status}}'])).trim(), /^Created/, 'the container stays created, as after any failed start')
  t.notMatch(spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout, /tocker:/, 'no rule')
  t.notMatch(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout, /veth/, 'no veth')
  await env.ok(['rm', 'halfway'])
})
