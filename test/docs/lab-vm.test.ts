// The lab VM (Vagrantfile, contrib/lab-provision.sh) as far as this machine can check it: Vagrant,
// VirtualBox and box downloads cannot run here. The Vagrantfile is evaluated by Ruby with a
// recording stand-in for Vagrant's config (test/docs/vagrantfile.rb) and checked against what the
// guide and the README need; the provisioning script runs for real in a private mount namespace,
// with apt-get, locale and bin/lab replaced by recorders (the real bin/lab is what `sudo bin/lab`
// runs, tested by CI itself).
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readChapter } from './guide.js'
// @ts-expect-error plain ESM helper without type declarations
import { REPO } from '../vm/vm.mjs'

interface Provider {
  box: string
  hostname: string
  network: { type: string; guest: number; host: number; host_ip?: string }[]
  synced_folders: { type?: string; src: string; dst: string }[]
  provision: { name: string; type: string; path: string; args: string[]; run?: string }[]
  ssh: { extra_args?: string[] }
  provider: Record<string, unknown> & { _calls?: [string, unknown[], Record<string, unknown>][] }
}

const SCRIPT = join(REPO, 'contrib', 'lab-provision.sh')
/** The tutorials' ports (issue 10): forwarded as themselves. */
const TUTORIAL_PORTS = [8000, 8080, 8081, 8088, 8888]

/** Host ports the guide's commands publish (-p HOST:CONTAINER) or curl on localhost. */
function guidePorts(): number[] {
  const ports = new Set<number>()
  for (const lang of ['en', 'ko']) {
    const dir = join(REPO, 'docs', 'lab', lang)
    for (const f of readdirSync(dir).filter((f) => /^\d\d-.*\.md$/.test(f))) {
      for (const b of readChapter(join(dir, f)).blocks) {
        for (const c of b.commands) for (const m of c.text.matchAll(/-p (\d+):\d+|localhost:(\d+)/g)) ports.add(Number(m[1] ?? m[2]))
      }
    }
  }
  return [...ports].sort()
}

t.test('the Vagrantfile: Ruby that Vagrant reads, and what the lab needs', async (t) => {
  const ruby = spawnSync('ruby', ['--version'])
  if (ruby.status !== 0) return void t.fail('ruby is not installed: apt-get install ruby (bin/lab test installs it)')
  const r = spawnSync('ruby', [join(REPO, 'test/docs/vagrantfile.rb'), join(REPO, 'Vagrantfile')], { encoding: 'utf8' })
  t.equal(r.status, 0, 'evaluated', { stderr: r.stderr })
  if (r.status !== 0) return
  const cfg = JSON.parse(r.stdout) as Record<string, Provider>
  t.same(Object.keys(cfg).sort(), ['libvirt', 'parallels', 'virtualbox', 'vmware_desktop'], 'VirtualBox, libvirt, and the two with arm64 builds for Apple Silicon besides VirtualBox 7.1')
  const wanted = [...new Set([...TUTORIAL_PORTS, ...guidePorts()])].sort()
  t.ok(guidePorts().length >= 3, `the guide's ports: ${guidePorts().join(', ')}`)
  for (const [name, p] of Object.entries(cfg)) {
    t.equal(p.box, name === 'libvirt' ? 'debian/trixie64' : 'bento/debian-13', `${name}: box`)
    const forwards = p.network.filter((n) => n.type === 'forwarded_port')
    for (const port of wanted) t.ok(forwards.some((f) => f.guest === port && f.host === port), `${name}: port ${port} forwarded as itself`)
    const eighty = forwards.find((f) => f.guest === 80)
    t.ok(eighty && eighty.host >= 1024 && !wanted.includes(eighty.host), `${name}: the VM's port 80 on an unprivileged port of its own (${eighty?.host})`)
    t.ok(forwards.every((f) => f.host_ip === '127.0.0.1'), `${name}: every forward on 127.0.0.1 only`)
    t.same(p.ssh.extra_args, ['-L', '8686:127.0.0.1:8686'], `${name}: vagrant ssh tunnels the dashboard`)
    const vagrant = p.synced_folders.filter((s) => s.dst === '/vagrant')
    t.equal(vagrant.length, 1, `${name}: one /vagrant`)
    t.not(vagrant[0]?.type, 'rsync', `${name}: /vagrant is a live two-way folder, not a one-shot rsync`)
    if (name === 'virtualbox') t.equal(vagrant[0]?.type, 'virtualbox', 'virtualbox: its shared folder (vboxsf)')
    if (name === 'libvirt') {
      t.equal(vagrant[0]?.type, 'virtiofs', 'libvirt: virtiofs')
      t.ok(p.provider._calls?.some(([call, args, opts]) => call === 'memorybacking' && args[0] === 'access' && opts.mode === 'shared'), 'libvirt: memory shared with virtiofsd')
    }
    t.ok(Number(p.provider.memory ?? (p.provider.vmx as Record<string, string> | undefined)?.memsize) >= 2048, `${name}: 2 GiB or more`)
    t.same(
      p.provision.map((x) => [x.type, x.path, x.args.join(' '), x.run ?? 'once']),
      [
        ['shell', 'contrib/lab-provision.sh', 'setup', 'once'],
        ['shell', 'contrib/lab-provision.sh', 'mounts', 'always'],
      ],
      `${name}: provisioning runs bin/lab once (setup) and the mounts at every boot`,
    )
  }
  t.equal(spawnSync('sh', ['-n', SCRIPT]).status, 0, 'the provisioning script parses')
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
  for (const port of [...wanted, 8880]) t.match(readme, new RegExp(`\\b${port}\\b`), `the README names port ${port}`)
})

// ---- the provisioning script, in a private mount namespace -------------------------------------

const work = mkdtempSync(join(tmpdir(), 'tocker-lab-vm-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

/** Runs the script in a mount namespace of its own (its bind mounts vanish with it), then `after`. */
function provision(mode: string, env: Record<string, string>, after = 'true') {
  return spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `sh "$0" ${mode} && sh "$0" ${mode} && ${after}`, SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
}

t.test('mounts: node_modules lives on the VM disk, bind-mounted once over the shared folder', async (t) => {
  const project = join(work, 'm-project')
  const local = join(work, 'm-local')
  mkdirSync(project)
  // Run twice (as `vagrant reload --provision` does): one mount, not two stacked.
  const r = provision('mounts', { TOCKER_LAB_DIR: project, TOCKER_LAB_LOCAL: local }, `echo written > "${project}/node_modules/x"; grep -c " ${project}/node_modules " /proc/self/mountinfo`)
  t.equal(r.status, 0, 'ran twice', { stderr: r.stderr })
  t.equal(r.stdout.trim(), '1', 'one bind mount')
  t.equal(readFileSync(join(local, 'node_modules', 'x'), 'utf8'), 'written\n', "a file npm writes lands on the VM's disk")
  t.notOk(existsSync(join(project, 'node_modules', 'x')), 'and not in the shared folder (the namespace is gone, the mount with it)')
})

t.test('setup: Node.js and the Korean locale, then bin/lab in the project with node_modules mounted', async (t) => {
  const project = join(work, 's-project')
  const local = join(work, 's-local')
  const fake = join(work, 's-bin')
  const home = join(work, 's-home')
  const log = join(work, 's-log')
  for (const d of [join(project, 'bin'), fake, home]) mkdirSync(d, { recursive: true })
  const localeGen = join(work, 's-locale.gen')
  writeFileSync(localeGen, '# en_US.UTF-8 UTF-8\n# ko_KR.UTF-8 UTF-8\n')
  const script = (body: string) => `#!/bin/sh\n${body}\n`
  writeFileSync(join(fake, 'apt-get'), script(`echo "apt-get $*" >> ${log}`))
  writeFileSync(join(fake, 'locale'), script('echo C.utf8'))
  writeFileSync(join(fake, 'locale-gen'), script(`echo locale-gen >> ${log}`))
  writeFileSync(join(project, 'bin', 'lab'), script(`echo "bin/lab in $PWD as $(id -u), node_modules $(mountpoint -q node_modules && echo mounted || echo NOT mounted)" >> ${log}`))
  for (const f of ['apt-get', 'locale', 'locale-gen']) chmodSync(join(fake, f), 0o755)
  chmodSync(join(project, 'bin', 'lab'), 0o755)
  const r = provision('setup', {
    PATH: `${fake}:${process.env.PATH}`,
    TOCKER_LAB_DIR: project,
    TOCKER_LAB_LOCAL: local,
    TOCKER_LAB_LOCALE_GEN: localeGen,
    TOCKER_LAB_USER_HOME: home,
  })
  t.equal(r.status, 0, 'ran twice', { stderr: r.stderr })
  const lines = readFileSync(log, 'utf8').trim().split('\n')
  t.ok(
    lines.some((l) => /^apt-get install .*\bnodejs\b.*\bnpm\b.*\blocales\b/.test(l)),
    'installs nodejs, npm and locales',
    { lines },
  )
  t.match(readFileSync(localeGen, 'utf8'), /^ko_KR\.UTF-8 UTF-8$/m, 'ko_KR.UTF-8 enabled in locale.gen')
  t.ok(lines.includes('locale-gen'), 'locale-gen run')
  t.same(
    lines.filter((l) => l.startsWith('bin/lab')),
    [`bin/lab in ${project} as 0, node_modules mounted`, `bin/lab in ${project} as 0, node_modules mounted`],
    'bin/lab ran in the project, as root, with node_modules on the VM disk',
  )
  t.equal(readFileSync(join(home, '.bashrc'), 'utf8').match(/^cd /gm)?.length, 1, '`vagrant ssh` starts in the project (one line, however often it runs)')
  t.match(readFileSync(join(home, '.bashrc'), 'utf8'), new RegExp(`^cd ${project}$`, 'm'))
  t.equal(execFileSync('sh', ['-c', `sh "${SCRIPT}" bogus; echo $?`], { encoding: 'utf8' }).trim().split('\n').at(-1), '2', 'an unknown mode is an error')
})
