// The VM tier's machine: a qemu guest with cgroup v2 alone, for the limits the test machines cannot
// enforce (they run cgroup v1 and v2 side by side, with v1 holding the controllers).
//
//   qemu-system-x86_64 -M microvm -accel tcg   KVM does not work here (see ../shared/notes/vm-lab.md)
//   kernel      Debian's stock kernel, unpacked (never installed) from `apt-get download`, booted as a
//               plain vmlinux ELF (skips ~4 s of firmware and decompression under emulation)
//   initramfs   static busybox + the virtio-mmio/9p/overlay modules; /init mounts the host's / (9p,
//               read-only) under a tmpfs overlay and switch_roots into it: the guest has exactly the
//               host's node, tools and this checkout, and cannot change any of it
//   guest init  written per run into a writable 9p share: mounts cgroup2 ALONE at /sys/fs/cgroup,
//               tmpfs on /tmp, /run and /var/lib/tocker (overlayfs upperdirs cannot live on 9p or on
//               the root overlay), runs the command, writes its exit code and output to the share,
//               powers off
//
// Everything is cached under test/.tmp/vm/<kernel version>/ (git-ignored). First run: one ~70 MB
// download from Debian's mirror (apt-get download), ~10 s of unpacking.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
export const VM_CACHE = join(REPO, 'test/.tmp/vm')

/** Kernel modules the initramfs loads (their dependencies are added in load order). */
const INITRAMFS_MODULES = ['virtio_mmio', '9pnet_virtio', '9p', 'overlay']

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts })
}

/** The kernel package `linux-image-amd64` depends on, e.g. linux-image-6.1.0-56-amd64. */
function kernelPackage() {
  const ask = () => {
    try {
      return /Depends: linux-image-(\d[\w.+-]*-amd64)\b/.exec(sh('apt-cache', ['depends', 'linux-image-amd64']))?.[1]
    } catch {
      return undefined
    }
  }
  let kver = ask()
  if (!kver) {
    // A machine whose package lists were never downloaded knows no kernel package yet.
    sh('apt-get', ['update', '-qq'])
    kver = ask()
  }
  if (!kver) throw new Error('cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64)')
  return { pkg: `linux-image-${kver}`, kver }
}

/** The cached kernel directory to use: an existing one if any (works offline), else a fresh build. */
export function prepareVm({ log = () => {} } = {}) {
  mkdirSync(VM_CACHE, { recursive: true })
  const ready = readdirSync(VM_CACHE).filter((d) => existsSync(join(VM_CACHE, d, 'READY')))
  let kver
  try {
    kver = kernelPackage().kver
  } catch (err) {
    if (!ready.length) throw err
  }
  if (kver && ready.includes(kver)) return describe(join(VM_CACHE, kver), kver)
  if (kver) {
    try {
      const built = build(kver, log)
      // A newer kernel replaced an older one: drop the old unpacked tree (~400 MB).
      for (const old of ready) rmSync(join(VM_CACHE, old), { recursive: true, force: true })
      return built
    } catch (err) {
      if (!ready.length) throw err
      log(`vm: cannot prepare ${kver} (${err.message.split('\n')[0]}); using the cached ${ready.join(', ')}`)
    }
  }
  const cached = ready.sort().pop()
  return describe(join(VM_CACHE, cached), cached)
}

function describe(dir, kver) {
  return { dir, kver, vmlinux: join(dir, 'vmlinux'), initramfs: join(dir, 'initramfs.cpio'), modules: join(dir, 'root/lib/modules') }
}

function build(kver, log) {
  const pkg = `linux-image-${kver}`
  // Built in a private directory and renamed into place: two test processes may race here.
  const work = mkdtempSync(join(VM_CACHE, `.build-${kver}-`))
  try {
    log(`vm: downloading ${pkg} (apt-get download)`)
    sh('apt-get', ['download', '-q', pkg], { cwd: work })
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'))
    log(`vm: unpacking ${deb}`)
    sh('dpkg', ['-x', join(work, deb), join(work, 'root')])
    rmSync(join(work, deb))
    // modules.dep (+ the .bin indexes kmod's modprobe wants); busybox's depmod if kmod is missing.
    if (hasCommand('depmod')) sh('depmod', ['-b', join(work, 'root'), kver])
    else sh('busybox', ['depmod', '-b', join(work, 'root'), kver])
    writeVmlinux(join(work, 'root/boot', `vmlinuz-${kver}`), join(work, 'vmlinux'))
    writeInitramfs(join(work, 'root'), kver, join(work, 'initramfs.cpio'))
    writeFileSync(join(work, 'READY'), `${pkg}\n`)
    const dir = join(VM_CACHE, kver)
    try {
      renameSync(work, dir)
    } catch (err) {
      if (!existsSync(join(dir, 'READY'))) throw err // someone else finished first: use theirs
    }
    return describe(dir, kver)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function hasCommand(name) {
  try {
    sh('sh', ['-c', `command -v ${name}`])
    return true
  } catch {
    return false
  }
}

/**
 * bzImage → vmlinux: the compressed kernel is an xz stream inside the bzImage (magic FD 37 7A 58 5A 00);
 * decompressing it gives the ELF that qemu can load directly with -kernel.
 */
function writeVmlinux(vmlinuz, out) {
  const image = readFileSync(vmlinuz)
  const at = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
  if (at < 0) throw new Error(`${vmlinuz}: no xz stream found`)
  // --single-stream stops at the end of the kernel and ignores what the bzImage has after it.
  // (xz stops reading there, so the input comes from a file: a pipe would fail with EPIPE.)
  const xzFile = `${out}.xz`
  writeFileSync(xzFile, image.subarray(at))
  const [input, output] = [openSync(xzFile, 'r'), openSync(out, 'w')]
  try {
    execFileSync('xz', ['-dc', '--single-stream'], { stdio: [input, output, 'pipe'] })
  } finally {
    closeSync(input)
    closeSync(output)
    rmSync(xzFile)
  }
  const magic = readFileSync(out).subarray(0, 4)
  if (!magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) throw new Error(`${out}: not an ELF file after decompression`)
}

/** Module names in load order (dependencies first), from modules.dep. */
function moduleLoadOrder(root, kver, wanted) {
  const base = join(root, 'lib/modules', kver)
  const deps = new Map()
  for (const line of readFileSync(join(base, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':')
    if (!rest && rest !== '') continue
    deps.set(mod.trim(), rest.trim().split(/\s+/).filter(Boolean))
  }
  const byName = new Map([...deps.keys()].map((p) => [p.split('/').pop().replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_'), p]))
  const order = []
  const visit = (path) => {
    if (order.includes(path)) return
    for (const d of deps.get(path) ?? []) visit(d)
    order.push(path)
  }
  for (const name of wanted) {
    const path = byName.get(name)
    if (!path) throw new Error(`module ${name} not found in ${base}/modules.dep`)
    visit(path)
  }
  return order.map((p) => ({ name: p.split('/').pop(), file: join(base, p) }))
}

const INIT = `#!/bin/busybox sh
# initramfs /init: host's / (9p, read-only) + tmpfs overlay, then the per-run init from the out share.
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "vm-init: $*" > /dev/console; poweroff -f; }
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m || fail "insmod $m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || fail "mount hostroot"
mount -t tmpfs -o mode=0755 rw /rw && mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "mount overlay"
mkdir -p /newroot/vm-out /newroot/usr/lib/modules
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmout /newroot/vm-out || fail "mount vmout"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose modules /newroot/usr/lib/modules || fail "mount modules"
umount /proc
umount /dev
exec switch_root /newroot /bin/sh /vm-out/init.sh
`

function writeInitramfs(root, kver, out) {
  const mods = moduleLoadOrder(root, kver, INITRAMFS_MODULES)
  const cpio = new CpioWriter(out)
  for (const d of ['bin', 'dev', 'proc', 'sys', 'lower', 'rw', 'newroot', 'modules']) cpio.dir(d)
  cpio.node('dev/console', 0o020600, 5, 1) // the kernel opens it for /init's stdio before devtmpfs exists
  cpio.file('init', 0o755, Buffer.from(INIT))
  cpio.file('bin/busybox', 0o755, readFileSync('/bin/busybox'))
  for (const m of mods) cpio.file(`modules/${m.name}`, 0o644, readFileSync(m.file))
  cpio.file('modules/order', 0o644, Buffer.from(mods.map((m) => m.name).join('\n') + '\n'))
  cpio.end()
}

/** The "newc" cpio format the kernel unpacks an initramfs from: a 110-byte ASCII header per entry. */
class CpioWriter {
  constructor(path) {
    this.fd = openSync(path, 'w')
    this.ino = 1
  }
  entry(name, mode, data = Buffer.alloc(0), rdevMajor = 0, rdevMinor = 0) {
    const hex = (n) => n.toString(16).padStart(8, '0')
    const nameBuf = Buffer.from(name + '\0')
    const fields = [this.ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBuf.length, 0]
    const header = Buffer.from('070701' + fields.map(hex).join(''))
    const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4)
    for (const b of [header, nameBuf, pad(header.length + nameBuf.length), data, pad(data.length)]) writeSync(this.fd, b)
  }
  dir(name) {
    this.entry(name, 0o040755)
  }
  file(name, perm, data) {
    this.entry(name, 0o100000 | perm, data)
  }
  node(name, mode, major, minor) {
    this.entry(name, mode, undefined, major, minor)
  }
  end() {
    this.entry('TRAILER!!!', 0)
    closeSync(this.fd)
  }
}

/** Host CPU frequency in kHz: under TCG the guest reads the host's TSC, and calibrating it hangs microvm 1 boot in 3. */
function hostTscKhz() {
  const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
  return m ? Math.round(Number(m[1]) * 1000) : undefined
}

/** Shell lines mounting a tmpfs on the guest's /tmp, keeping cwd's top folder under /tmp if it has one. */
function keepUnderTmp(cwd) {
  const top = cwd.match(/^\/tmp\/[^/]+/)?.[0]
  if (!top) return 'mount -t tmpfs -o mode=1777 tmpfs /tmp'
  const q = shellQuote(top)
  return [
    `mkdir -p /.keep && mount --bind ${q} /.keep`,
    'mount -t tmpfs -o mode=1777 tmpfs /tmp',
    `mkdir -p ${q} && mount --move /.keep ${q}`,
  ].join('\n')
}

function guestInit({ cwd, env }) {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n')
  return `#!/bin/sh
# Per-run guest init (PID 1). cgroup2 is mounted alone: every controller is v2's.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb TOCKER_IN_VM=1
${exports}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
# A project checked out under /tmp (a CI clone) must stay visible through the guest's tmpfs on /tmp.
${keepUnderTmp(cwd)}
mkdir -p /var/lib/tocker && mount -t tmpfs tmpfs /var/lib/tocker
# The kernel runs /sbin/modprobe for modules loaded on demand (veth, bridge, nf_*); without kmod, busybox's.
[ -e /sbin/modprobe ] || ln -s /bin/busybox /sbin/modprobe
ip link set lo up 2>/dev/null || busybox ip link set lo up
hostname tocker-vm
echo TOCKER-VM-READY
cd ${shellQuote(cwd)} || cd /
{ sh /vm-out/cmd < /dev/null 2>&1; echo $? > /vm-out/rc; } | tee /vm-out/output
sync
/bin/busybox poweroff -f
`
}

export function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`
}

/**
 * Boot the VM, run `command` (a shell command line) inside, power off. Resolves with
 * { exitCode, output, bootMs, totalMs, console } — exitCode undefined if the guest never finished.
 */
export async function runInVm(command, { cwd = process.cwd(), env = {}, timeoutMs = 10 * 60_000, memory = '2G', onConsole, log } = {}) {
  const vm = prepareVm({ log })
  const out = mkdtempSync('/tmp/tocker-vm-')
  try {
    writeFileSync(join(out, 'cmd'), `${command}\n`)
    writeFileSync(join(out, 'init.sh'), guestInit({ cwd, env }), { mode: 0o755 })
    const khz = hostTscKhz()
    const append = ['console=ttyS0', 'quiet', 'loglevel=1', 'panic=-1', 'rdinit=/init', ...(khz ? [`tsc_early_khz=${khz}`, 'tsc=reliable'] : [])]
    const share = (id, path, tag, ro) => [
      '-fsdev',
      `local,id=${id},path=${path},security_model=none${ro ? ',readonly=on' : ''},multidevs=remap`,
      '-device',
      `virtio-9p-device,fsdev=${id},mount_tag=${tag}`,
    ]
    // prettier-ignore
    const args = [
      '-M',
      'microvm',
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-m',
      memory,
      '-smp',
      '1',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-serial',
      'stdio',
      '-global',
      'virtio-mmio.force-legacy=false',
      '-kernel',
      vm.vmlinux,
      '-initrd',
      vm.initramfs,
      '-append',
      append.join(' '),
      ...share('r', '/', 'hostroot', true),
      ...share('m', vm.modules, 'modules', true),
      ...share('o', out, 'vmout', false),
    ]
    const start = performance.now()
    let bootMs
    let console = ''
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => qemu.kill('SIGKILL'), timeoutMs)
    const onData = (d) => {
      const text = d
      console += text
      if (bootMs === undefined && console.includes('TOCKER-VM-READY')) bootMs = performance.now() - start
      onConsole?.(text)
    }
    qemu.stdout.setEncoding('utf8') // a multi-byte character may be split between two reads
    qemu.stderr.setEncoding('utf8')
    qemu.stdout.on('data', onData)
    qemu.stderr.on('data', onData)
    const status = await new Promise((resolve) => {
      qemu.once('error', (err) => resolve({ error: err }))
      qemu.once('exit', (code, signal) => resolve({ code, signal }))
    })
    clearTimeout(timer)
    const totalMs = performance.now() - start
    const rcFile = join(out, 'rc')
    const exitCode = existsSync(rcFile) ? Number(readFileSync(rcFile, 'utf8').trim()) : undefined
    const output = existsSync(join(out, 'output')) ? readFileSync(join(out, 'output'), 'utf8') : ''
    if (status.error) throw new Error(`cannot start qemu-system-x86_64 (apt-get install qemu-system-x86): ${status.error.message}`)
    return { exitCode, output, bootMs, totalMs, console, qemuExit: status, timedOut: totalMs >= timeoutMs }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** True if this host can run the tier at all (qemu installed, or installable). */
export function qemuAvailable() {
  return hasCommand('qemu-system-x86_64')
}

/**
 * Guest scripts import the compiled dist/ (a TypeScript loader would add seconds under emulation)
 * and the runtime needs its C helper. Make sure dist/ is not older than the sources in `paths`
 * (compile once if it is) and that the helpers are built. The suite normally builds
 * first (`npm test`), so this rarely compiles anything.
 */
export function ensureBuilt(paths = ['src/cgroups', 'src/runtime', 'src/sys', 'src/trace', 'src/errors.ts', 'native-shims']) {
  const sources = (path) =>
    !path.endsWith('.ts')
      ? readdirSync(join(REPO, path), { withFileTypes: true }).flatMap((e) => e.isDirectory() ? (e.name === 'out' ? [] : sources(join(path, e.name))) : e.name.endsWith('.ts') ? [join(path, e.name)] : [])
      : [path]
  const stale = () =>
    paths.flatMap(sources).find((ts) => {
      const js = join(REPO, 'dist', ts.replace(/\.ts$/, '.js'))
      return !existsSync(js) || statSync(js).mtimeMs < statSync(join(REPO, ts)).mtimeMs
    })
  if (stale()) {
    try {
      execFileSync('npx', ['tsc', '-p', '.'], { cwd: REPO, stdio: 'ignore' })
    } catch {
      // type errors elsewhere in the tree still emit JavaScript; checked below
    }
    const still = stale()
    if (still) throw new Error(`dist/ for ${still} is missing or older than the source after \`npx tsc -p .\``)
  }
  execFileSync(process.execPath, [join(REPO, 'native-shims/build.mjs')], { cwd: REPO, stdio: 'ignore' })
}
