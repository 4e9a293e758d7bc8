// The offline images (rootfs-cache) are real: the busybox-based ones are reproducible (two builds give
// the same bytes), third-party tools (skopeo, umoci) read them, the unpacked busybox runs a shell on
// the real kernel, and httpd:busybox says it started, serves "It works!", logs the request and stops
// on its StopSignal as PID 1. The Debian-based ones (debian, Apache's httpd) are laid out like Docker
// Hub's; test/docs/guide.test.ts runs them through tocker.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, readlink, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
// @ts-ignore: plain JavaScript build script
import { buildRootfsCache, DEFAULT_OUT } from '../../rootfs-cache/build.mjs'
import { fixture, layoutInfo, pushFixture } from '../helpers/fixtures.js'
import { startRegistry, registryToolsMissing } from '../helpers/registry.js'

const run = promisify(execFile)
const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

const work = await mkdtemp(join(tmpdir(), 'tocker-rootfs-cache-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

/** umoci (a third-party OCI unpacker) unpacks IMAGE from the layout into a fresh bundle. */
async function umociUnpack(layout: string, name: string): Promise<string> {
  const bundle = join(work, `bundle-${name}`)
  await run('umoci', ['unpack', '--image', `${layout}:latest`, bundle])
  return join(bundle, 'rootfs')
}

t.test('two builds give the same digests, byte for byte', async (t) => {
  const debCache = join(DEFAULT_OUT, 'debs')
  const only = ['busybox', 'httpd-busybox', 'hello-diamol']
  const a = await buildRootfsCache({ outDir: join(work, 'a'), debCache, force: true, only })
  const b = await buildRootfsCache({ outDir: join(work, 'b'), debCache, force: true, only })
  for (const name of only) {
    t.match(a[name].manifestDigest, /^sha256:[0-9a-f]{64}$/)
    t.equal(b[name].manifestDigest, a[name].manifestDigest, `${name} manifest digest`)
    t.equal(b[name].tarballDigest, a[name].tarballDigest, `${name}.tar digest`)
  }
  // httpd:busybox's first layer is busybox's layer, the same blob.
  const busybox = await layoutInfo(a.busybox.layout)
  const httpd = await layoutInfo(a['httpd-busybox'].layout)
  t.equal(httpd.layers!.length, 2)
  t.equal(httpd.layers![0].digest, busybox.layers![0].digest, 'httpd:busybox shares the busybox layer')
  t.same(a['httpd-busybox'].names, ['httpd:busybox'])
  t.same(a['hello-diamol'].names, ['diamol/ch02-hello-diamol:latest'])
  // A second run with nothing changed builds nothing.
  const again = await buildRootfsCache({ outDir: join(work, 'a'), debCache, only })
  for (const name of only) t.equal(again[name].built, false, `${name} not rebuilt`)
})

t.test('the busybox tarball is a tagged OCI layout (and a docker-archive) that skopeo reads', async (t) => {
  const built = await buildRootfsCache({ only: ['busybox'] })
  const { stdout: listing } = await run('tar', ['-tf', built.busybox.tarball])
  const files = listing.split('\n')
  t.ok(files.includes('oci-layout') && files.includes('index.json') && files.includes('manifest.json'))
  const { stdout: indexJson } = await run('tar', ['-xOf', built.busybox.tarball, 'index.json'])
  const annotations = JSON.parse(indexJson).manifests[0].annotations
  t.same(annotations, { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' })
  const { stdout } = await run('skopeo', ['inspect', '--config', `oci-archive:${built.busybox.tarball}:latest`])
  const config = JSON.parse(stdout)
  t.same(config.config.Cmd, ['sh'])
  t.same(config.config.Env, [IMAGE_PATH])
  t.equal(config.architecture, 'amd64')
  // manifest.json (docker-archive, as `docker save` writes it too) describes the same image.
  const { stdout: archive } = await run('skopeo', ['inspect', '--config', `docker-archive:${built.busybox.tarball}`])
  t.same(JSON.parse(archive).rootfs, config.rootfs)
})

t.test('umoci unpacks busybox and its shell runs on the real kernel', async (t) => {
  const rootfs = await umociUnpack(await fixture('busybox'), 'busybox')
  t.equal(await readlink(join(rootfs, 'bin/sh')), 'busybox')
  t.equal(await readlink(join(rootfs, 'sbin/ifconfig')), '../bin/busybox')
  t.equal((await stat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777)
  const passwd = await readFile(join(rootfs, 'etc/passwd'), 'utf8')
  t.match(passwd, /^root:x:0:0:/m)
  t.match(passwd, /^www-data:x:33:33:/m)
  t.match(passwd, /^nobody:x:65534:65534:/m)
  // Every applet busybox knows has its link.
  const { stdout: applets } = await run(join(rootfs, 'bin/busybox'), ['--list'])
  const linked = new Set([...(await readdir(join(rootfs, 'bin'))), ...(await readdir(join(rootfs, 'sbin')))])
  const missing = applets.split('\n').filter((a) => a && a !== 'linuxrc' && !linked.has(a))
  t.same(missing, [], 'no applet without a link')

  // A real process in new mount and PID namespaces, chrooted into the unpacked image.
  const { stdout } = await run('unshare', ['--mount', '--pid', '--fork', 'chroot', rootfs, '/bin/sh', '-c', 'echo hi; echo pid=$$; id -un; id -u www-data'], {
    env: { PATH: IMAGE_PATH.slice(5) },
  })
  t.equal(stdout, 'hi\npid=1\nroot\n33\n')
})

t.test('httpd:busybox says it started, serves It works!, logs the request, and stops on SIGWINCH as PID 1', async (t) => {
  const layout = await fixture('httpd')
  const { stdout: cfg } = await run('skopeo', ['inspect', '--config', `oci:${layout}:latest`])
  const config = JSON.parse(cfg).config
  t.same(config.ExposedPorts, { '80/tcp': {} })
  t.equal(config.WorkingDir, '/usr/local/apache2')
  t.equal(config.StopSignal, 'SIGWINCH')
  t.same(config.Cmd, ['httpd-foreground'])
  const rootfs = await umociUnpack(layout, 'httpd')

  // In a network namespace of its own (port 80, nothing on the host's network): the image's Cmd
  // as PID 1 of a new PID namespace (with its /proc, where netstat sees that httpd listens), fetched
  // with the image's own wget, then stopped like `docker stop`.
  const script = `
    set -e
    ip link set lo up
    mount --bind /dev "$ROOTFS/dev"   # as a runtime would provide /dev/null (private mount namespace)
    unshare --pid --fork --mount --mount-proc="$ROOTFS/proc" chroot "$ROOTFS" /bin/env -i "$IMAGE_PATH" /usr/local/bin/httpd-foreground >"$LOG" 2>&1 &
    outer=$!
    for i in $(seq 100); do chroot "$ROOTFS" /bin/wget -q -O /dev/null http://127.0.0.1/ 2>/dev/null && break; sleep 0.05; done
    chroot "$ROOTFS" /bin/wget -q -O - http://127.0.0.1/index.html
    init=$(pgrep -P "$outer")
    grep -q '^NSpid:.*[[:space:]]1$' /proc/$init/status && echo "pid1=yes"
    start=$(date +%s%N)
    kill -WINCH "$init"
    wait "$outer"; echo "exit=$?"
    echo "stopped_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
  `
  const log = join(work, 'httpd.log')
  const child = spawn('unshare', ['--net', '--mount', 'sh', '-c', script], {
    env: { PATH: process.env.PATH, ROOTFS: rootfs, LOG: log, IMAGE_PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise((resolve) => child.on('close', resolve))
  clearTimeout(killer)
  t.equal(code, 0, err)
  t.match(out, '<html><body><h1>It works!</h1></body></html>\n')
  t.match(out, 'pid1=yes')
  t.match(out, 'exit=0')
  const ms = Number(/stopped_ms=(\d+)/.exec(out)?.[1])
  t.ok(ms < 2000, `stopped ${ms} ms after SIGWINCH`)
  const logged = await readFile(log, 'utf8')
  t.match(logged, /^httpd-foreground: busybox httpd \(pid \d+\) is listening on port 80, serving \/usr\/local\/apache2\/htdocs/m, 'a start-up line')
  t.match(logged, /\]:\d+: url:\/index\.html\n/, 'the request is in the log')
  t.match(logged, /response:200/)
})

/** `tar -tvzf` of a layer blob: "mode owner size date time path[ -> target]" lines. */
async function layerListing(layout: string, digest: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tvzf', join(layout, 'blobs', 'sha256', digest.slice(7)), '--numeric-owner'], { maxBuffer: 64 << 20 })
  return stdout.split('\n').filter(Boolean)
}
const entry = (listing: string[], path: string) => listing.find((l) => l.endsWith(` ${path}`) || l.includes(` ${path} -> `))

t.test("debian and Apache httpd are laid out like Docker Hub's, httpd on debian's layer", async (t) => {
  const built = await buildRootfsCache({ only: ['httpd'], log: (l: string) => t.comment(l) })
  t.ok(built.debian.names.includes('debian:latest'), 'debian:latest')
  t.ok(built.debian.names.some((n: string) => /^debian:[a-z]+$/.test(n)), `debian:<codename> in ${built.debian.names}`)
  t.same(built.httpd.names, ['httpd:latest', 'httpd:2.4'])
  const debian = await layoutInfo(built.debian.layout)
  const httpd = await layoutInfo(built.httpd.layout)
  t.equal(httpd.layers!.length, 2)
  t.equal(httpd.layers![0].digest, debian.layers![0].digest, "httpd's first layer is the debian layer, one blob")

  const { stdout: cfg } = await run('skopeo', ['inspect', '--config', `oci:${built.httpd.layout}:latest`])
  const config = JSON.parse(cfg).config
  t.same(config.Cmd, ['httpd-foreground'])
  t.equal(config.StopSignal, 'SIGWINCH')
  t.equal(config.WorkingDir, '/usr/local/apache2')
  t.same(config.ExposedPorts, { '80/tcp': {} })
  t.match(config.Env, ['PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HTTPD_PREFIX=/usr/local/apache2', /^HTTPD_VERSION=2\.4\.\d+$/])
  const { stdout: dcfg } = await run('skopeo', ['inspect', '--config', `oci:${built.debian.layout}:latest`])
  t.same(JSON.parse(dcfg).config.Cmd, ['bash'])

  // The Debian root keeps its owners (root:shadow /etc/shadow), and nothing of the machine that built it.
  const base = await layerListing(built.debian.layout, debian.layers![0].digest)
  t.match(entry(base, 'etc/shadow'), /^-rw-r----- 0\/42 /, '/etc/shadow is root:shadow 0640')
  t.ok(entry(base, 'usr/bin/apt'), 'apt is there')
  t.ok(entry(base, 'bin/bash') ?? entry(base, 'usr/bin/bash'), 'bash is there')
  for (const gone of ['etc/hostname', 'etc/resolv.conf', 'etc/hosts']) t.notOk(entry(base, gone), `no ${gone} (the runtime provides it)`)
  t.same(base.filter((l) => /var\/lib\/apt\/lists\/[^/]+$/.test(l) && !/\/partial\/?$/.test(l)), [], 'no apt lists: apt update comes first, as in the official image')
  t.same(base.filter((l) => / dev\/./.test(l)), [], '/dev is empty')

  // Apache's layer: the official paths, the official start script, and no whiteouts (nothing deleted).
  const apache = await layerListing(built.httpd.layout, httpd.layers![1].digest)
  t.match(entry(apache, 'usr/local/apache2/bin/httpd'), / -> \/usr\/sbin\/apache2$/)
  t.match(entry(apache, 'etc/apache2/apache2.conf'), / -> \/usr\/local\/apache2\/conf\/httpd\.conf$/)
  t.ok(entry(apache, 'usr/sbin/apache2'), "Debian's Apache binary")
  t.same(apache.filter((l) => l.includes('.wh.')), [])
  const file = async (path: string) => (await run('tar', ['-xzOf', join(built.httpd.layout, 'blobs', 'sha256', httpd.layers![1].digest.slice(7)), path])).stdout
  t.equal(await file('usr/local/apache2/htdocs/index.html'), '<html><body><h1>It works!</h1></body></html>\n')
  t.match(await file('usr/local/bin/httpd-foreground'), 'rm -f /usr/local/apache2/logs/httpd.pid\n\nexec httpd -DFOREGROUND "$@"\n')
  t.match(await file('usr/local/apache2/conf/httpd.conf'), /^ErrorLog \/proc\/self\/fd\/2$/m)
})

t.test('fixtures reach a real registry in OCI and Docker schema2 form', { skip: registryToolsMissing() }, async (t) => {
  const reg = await startRegistry()
  t.teardown(() => reg.stop())
  const raw = async (ref: string) => JSON.parse((await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/${ref}`])).stdout)

  const multi = await pushFixture(reg.addr, 'multiarch', 'lab/multi:latest', { all: true })
  t.equal(multi, (await layoutInfo(await fixture('multiarch'))).digest, 'the index is pushed unchanged')
  const index = await raw('lab/multi:latest')
  t.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json')
  t.same(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['amd64', 'arm64'])

  const list = await pushFixture(reg.addr, 'multiarch-docker', 'lab/multi-docker:latest')
  t.equal(list, (await layoutInfo(await fixture('multiarch-docker'))).digest)
  t.equal((await raw('lab/multi-docker:latest')).mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json')
  const { stdout: arm } = await run('skopeo', ['inspect', '--config', '--tls-verify=false', '--override-arch', 'arm64', `docker://${reg.addr}/lab/multi-docker:latest`])
  t.equal(JSON.parse(arm).architecture, 'arm64')

  await pushFixture(reg.addr, 'busybox', 'deep/nested/busybox:v2s2', { format: 'v2s2' })
  const v2s2 = await raw('deep/nested/busybox:v2s2')
  t.equal(v2s2.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
  t.equal(v2s2.layers[0].mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip')
  // The same busybox layer is one blob, whatever the manifest format.
  t.equal(v2s2.layers[0].digest, (await layoutInfo(await fixture('busybox-v2s2'))).layers![0].digest)
})
