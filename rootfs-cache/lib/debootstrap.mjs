// A minimal Debian root filesystem, as Docker Hub's `debian` image is one: `debootstrap
// --variant=minbase` (only the Essential and Required packages, plus apt) of this machine's own
// Debian release, from the mirror its apt already uses, then trimmed the way the official image is
// (no apt lists — so `apt update` comes first, as in the tutorials —, no .deb cache, no logs, no
// host files such as /etc/hostname or /etc/resolv.conf, which the runtime provides).
//
// debootstrap mounts /proc and /sys inside the new root while it configures packages: it runs in a
// private mount namespace (unshare --mount), so no mount is ever seen by, or left on, the host.
// The .debs it downloads are kept in a cache directory (--cache-dir), so a rebuild is offline.
import { execFile, spawn } from 'node:child_process'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The machine's Debian release, architecture and mirror: what the image is built from. */
export async function debianSource() {
  const osRelease = await readFile('/etc/os-release', 'utf8')
  const field = (k) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1]
  if (field('ID') !== 'debian') throw new Error(`the Debian image is built from this machine's Debian release, and this machine runs ${field('ID') ?? 'an unknown OS'}`)
  const suite = field('VERSION_CODENAME')
  if (!suite) throw new Error('/etc/os-release names no VERSION_CODENAME')
  const version = field('VERSION_ID') ?? suite
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim()
  return { suite, version, arch, mirror: await debianMirror(suite) }
}

/** The apt sources of this machine, as [{ uri, suite }] for each deb line (one-line or deb822) with "main". */
export async function aptSources() {
  const files = ['/etc/apt/sources.list', ...(await readdir('/etc/apt/sources.list.d').catch(() => [])).map((f) => join('/etc/apt/sources.list.d', f))]
  const found = []
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '')
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const get = (k) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim().split(/\s+/) ?? []
        if (!get('Types').includes('deb') || !get('Components').includes('main')) continue
        for (const uri of get('URIs')) for (const suite of get('Suites')) found.push({ uri, suite })
      }
    } else if (file.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line)
        if (m && m[3].split(/\s+/).includes('main')) found.push({ uri: m[1], suite: m[2] })
      }
    }
  }
  return found
}

/** The first mirror apt is configured with for `suite`, else Debian's own. */
export async function debianMirror(suite) {
  return (await aptSources()).find((s) => s.suite === suite)?.uri ?? 'http://deb.debian.org/debian'
}

/**
 * Runs a command, its output going to `log` (a line at a time); resolves with its stdout, rejects
 * with the last lines of its output on failure.
 */
export function runLogged(cmd, args, { log = () => {}, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
    const tail = []
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const take = (d) => {
      for (const line of String(d).split('\n').filter(Boolean)) {
        tail.push(line)
        if (tail.length > 20) tail.shift()
        log(line)
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail.join('\n')}`))))
  })
}

/**
 * Makes a minbase root in `target` (an empty directory on a local filesystem: debootstrap makes
 * device nodes and hard links), with .debs cached in `cacheDir`.
 */
export async function debootstrap({ suite, arch, mirror }, target, cacheDir, log) {
  await mkdir(cacheDir, { recursive: true })
  await runLogged('unshare', ['--mount', '--propagation', 'private', '--', 'debootstrap', '--variant=minbase', `--arch=${arch}`, `--cache-dir=${cacheDir}`, suite, target, mirror], { log })
}

/**
 * Runs a shell script chrooted in `root`, in a private mount namespace with /proc and the host's
 * /dev bound in (maintainer scripts need /dev/null), and the host's resolv.conf so apt reaches the
 * mirror (trimRoot removes it again). Resolves with the script's stdout.
 */
export async function inChroot(root, script, log) {
  const setup = [
    'set -e',
    'mount -t proc proc "$ROOT/proc"',
    'mount --rbind /dev "$ROOT/dev"',
    'cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"',
    'chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive HOME=/root LANG=C.UTF-8 /bin/sh -ec "$SCRIPT"',
  ].join('\n')
  return runLogged('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', setup], { log, env: { ...process.env, ROOT: root, SCRIPT: script } })
}

/**
 * Trims a root as the official image is trimmed: what apt downloaded, logs, and files that belong
 * to the machine that built it. /dev is left empty (the runtime makes its own).
 */
export async function trimRoot(root) {
  const clear = async (dir, keep = () => false) => {
    for (const name of await readdir(join(root, dir)).catch(() => [])) if (!keep(name)) await rm(join(root, dir, name), { recursive: true, force: true })
  }
  await clear('dev')
  await clear('tmp')
  await clear('var/tmp')
  await clear('var/lib/apt/lists', (n) => n === 'partial')
  await clear('var/lib/apt/lists/partial')
  await clear('var/cache/apt/archives', (n) => n === 'partial' || n === 'lock')
  await clear('var/cache/apt/archives/partial')
  await clear('var/cache/apt', (n) => n === 'archives')
  await clear('var/log', (n) => ['apt', 'lastlog', 'wtmp', 'btmp', 'faillog'].includes(n))
  await clear('var/log/apt')
  // Log files programs expect to exist stay, empty (owners and modes kept; an empty one is left
  // alone, so that a layer made on top of this root does not carry it again).
  for (const f of ['var/log/lastlog', 'var/log/wtmp', 'var/log/btmp', 'var/log/faillog']) {
    const st = await stat(join(root, f)).catch(() => undefined)
    if (st?.size) await writeFile(join(root, f), '')
  }
  for (const f of ['etc/hostname', 'etc/resolv.conf', 'etc/hosts', 'etc/machine-id', 'var/cache/ldconfig/aux-cache']) await rm(join(root, f), { force: true })
  for (const dir of ['var/cache/debconf', 'var/lib/dpkg']) {
    for (const name of await readdir(join(root, dir)).catch(() => [])) if (name.endsWith('-old')) await rm(join(root, dir, name), { force: true })
  }
}

/**
 * apt sources as the official image has them (deb822: the release, its updates, its security
 * updates), each from the mirror this machine uses for it; a suite the machine has no source for
 * is left out (an unreachable source would make `apt update` fail).
 */
export async function writeAptSources(root, { suite, mirror }) {
  const machine = await aptSources()
  const uriOf = (s) => machine.find((m) => m.suite === s)?.uri
  const stanzas = new Map() // uri -> suites
  for (const [s, uri] of [[suite, mirror], [`${suite}-updates`, uriOf(`${suite}-updates`)], [`${suite}-security`, uriOf(`${suite}-security`)]]) {
    if (uri) stanzas.set(uri, [...(stanzas.get(uri) ?? []), s])
  }
  const text = [...stanzas].map(([uri, suites]) => `Types: deb\nURIs: ${uri}\nSuites: ${suites.join(' ')}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`)
  await rm(join(root, 'etc/apt/sources.list'), { force: true })
  await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true })
  await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), text.join('\n'))
}
