// Volumes through the tocker CLI and the engine's /volumes API: create/ls/inspect/rm/prune with
// Docker's output and errors; -v NAME:/path creating the volume and copying the image's content
// into it on first use (and only then); anonymous volumes from VOLUME and -v /path, removed by
// rm -v and --rm; --mount (its syntax errors and Docker's daemon-side checks, nothing half-made),
// --tmpfs, :ro; -v with a missing host directory creating it. The copy is made from the image's
// own view: images whose volume paths are symlinks out of the root, FIFOs and links to host files
// must leave host canaries untouched and never block. Runs in a private network namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFile } = await import('node:child_process')
const { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { promisify } = await import('node:util')
const { engineTestBed } = await import('./harness.js')
const { api } = await import('../../helpers/engine-api.js')
// @ts-ignore: plain JavaScript modules of the offline image build
const { busyboxBaseEntries, busyboxInputs, DEFAULT_OUT } = await import('../../../rootfs-cache/build.mjs')
// @ts-ignore
const { OciLayoutWriter } = await import('../../../rootfs-cache/lib/oci-layout.mjs')
// @ts-ignore
const { BUSYBOX_CONFIG } = await import('../../../rootfs-cache/recipes/busybox.mjs')

const run = promisify(execFile)
const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-volumes-')
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
const registry = BUSYBOX.slice(0, BUSYBOX.indexOf('/'))
const tmp = mkdtempSync(join(tmpdir(), 'tocker-volumes-canary-'))
t.teardown(async () => {
  await cleanup()
  rmSync(tmp, { recursive: true, force: true })
})
const canaryDir = join(tmp, 'host-dir')
mkdirSync(canaryDir)
writeFileSync(join(canaryDir, 'secret'), 'HOST-SECRET\n')

// ---- images of our own: busybox + one layer ----

type Entry = { path: string; type: 'file' | 'dir' | 'symlink' | 'fifo'; data?: string; linkname?: string; mode?: number; uid?: number; gid?: number }
const IMAGES: Record<string, { entries: Entry[]; volumes?: string[] }> = {
  // VOLUME /data with a seed file in it, owned by 1000:1000 with mode 0700.
  declared: { entries: [{ path: 'data', type: 'dir', mode: 0o700, uid: 1000, gid: 1000 }, { path: 'data/seed', type: 'file', data: 'from the image\n' }], volumes: ['/data'] },
  hostile: {
    entries: [
      // The volume path itself a symlink to a host directory (absolute): resolved in the image, where it is nothing.
      { path: 'www', type: 'symlink', linkname: canaryDir },
      // In-image absolute symlink: /site -> /srv/site (which the image has).
      { path: 'site', type: 'symlink', linkname: '/srv/site' },
      { path: 'srv', type: 'dir' },
      { path: 'srv/site', type: 'dir' },
      { path: 'srv/site/index.html', type: 'file', data: 'in-image site\n' },
      // A FIFO (copying must not open it) and a link to a host file (copied as a link, never followed).
      { path: 'srv/site/pipe', type: 'fifo', mode: 0o644 },
      { path: 'srv/site/secret', type: 'symlink', linkname: join(canaryDir, 'secret') },
    ],
  },
}

async function pushImages(): Promise<void> {
  const inputs = await busyboxInputs(DEFAULT_OUT)
  const dir = join(tmp, 'layout')
  const w = await new OciLayoutWriter(dir).init()
  const base = await w.layer(await busyboxBaseEntries(inputs))
  const refs = []
  for (const [name, img] of Object.entries(IMAGES)) {
    const top = await w.layer(img.entries.map((e) => ({ mtime: inputs.mtime, ...e })))
    const config = { ...BUSYBOX_CONFIG, ...(img.volumes ? { Volumes: Object.fromEntries(img.volumes.map((v) => [v, {}])) } : {}) }
    refs.push({ descriptor: await w.image({ layers: [base, top], config, created: inputs.mtime }), tag: name })
  }
  await w.indexJson(refs)
  for (const name of Object.keys(IMAGES)) await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:${name}`, `docker://${registry}/vol/${name}:latest`])
}
const own = (name: string) => `${registry}/vol/${name}`
await pushImages()
for (const name of Object.keys(IMAGES)) await env.ok(['pull', '-q', own(name)])
await env.ok(['pull', '-q', HTTPD])

const volumesDir = join(env.root, 'volumes')
const names = async () => (await env.ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean)
const sock = env.socket

t.test("volume create / ls / inspect / rm, with Docker's output", async (t) => {
  t.equal(await env.ok(['volume', 'create', 'data1']), 'data1\n')
  t.equal(await env.ok(['volume', 'create', '--label', 'team=web', '--name', 'data2']), 'data2\n')
  t.equal(await env.ok(['volume', 'create', 'data1']), 'data1\n', 'creating an existing volume returns it')
  const anon = (await env.ok(['volume', 'create'])).trim()
  t.match(anon, /^[0-9a-f]{64}$/, 'no name: a random one')
  t.equal(await env.ok(['volume', 'ls']), `DRIVER    VOLUME NAME\nlocal     ${[anon, 'data1', 'data2'].sort().join('\nlocal     ')}\n`)
  t.same(await names(), [anon, 'data1', 'data2'].sort())
  t.equal(await env.ok(['volume', 'ls', '-q', '--filter', 'label=team=web']), 'data2\n')
  const [v] = JSON.parse(await env.ok(['volume', 'inspect', 'data2']))
  t.same(Object.keys(v).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope'])
  t.match(v, { Driver: 'local', Labels: { team: 'web' }, Mountpoint: join(volumesDir, 'data2', '_data'), Name: 'data2', Options: null, Scope: 'local' })
  t.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/)
  t.ok(existsSync(v.Mountpoint), 'its directory is there')
  t.equal(await env.ok(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}}', 'data1']), 'data1 local\n')

  const missing = await env.tocker(['volume', 'inspect', 'nosuch'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, 'Error response from daemon: get nosuch: no such volume')
  const bad = await env.tocker(['volume', 'create', 'a!b'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, 'Error response from daemon: create a!b: "a!b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path')
  const opt = await env.tocker(['volume', 'create', '-o', 'colour=blue', 'x1'])
  t.match(opt.stderr, 'create x1: invalid option: "colour"')
  const drv = await env.tocker(['volume', 'create', '-d', 'nfs9', 'x2'])
  t.match(drv.stderr, 'create x2: error looking up volume plugin nfs9: plugin "nfs9" not found')
  t.same(await names(), [anon, 'data1', 'data2'].sort(), 'refused creates made nothing')
  t.same(readdirSync(volumesDir).sort(), [anon, 'data1', 'data2'].sort(), 'nothing half-made on disk either')

  t.equal(await env.ok(['volume', 'rm', 'data1', 'data2', anon]), `data1\ndata2\n${anon}\n`)
  const gone = await env.tocker(['volume', 'rm', 'data1'])
  t.equal(gone.code, 1)
  t.match(gone.stderr, 'get data1: no such volume')
  t.equal((await env.tocker(['volume', 'rm', '-f', 'data1'])).code, 0, '-f: no error for a missing volume')
  t.same(readdirSync(volumesDir), [], 'their directories are gone')
})

t.test("-v NAME:/path creates the volume and copies the image's content into it, once", async (t) => {
  // httpd's htdocs holds index.html: the new volume starts with it.
  t.equal(await env.ok(['run', '--rm', '-v', 'site:/usr/local/apache2/htdocs', HTTPD, 'cat', '/usr/local/apache2/htdocs/index.html']), '<html><body><h1>It works!</h1></body></html>\n')
  t.same(await names(), ['site'])
  t.ok(existsSync(join(volumesDir, 'site', '_data', 'index.html')), 'the copy is in volumes/site/_data')
  // It outlives the container; a change made by one container is what the next one sees.
  await env.ok(['run', '--rm', '-v', 'site:/usr/local/apache2/htdocs', HTTPD, 'sh', '-c', 'echo changed > /usr/local/apache2/htdocs/index.html; rm -f /nothing'])
  t.equal(await env.ok(['run', '--rm', '-v', 'site:/usr/local/apache2/htdocs', HTTPD, 'cat', '/usr/local/apache2/htdocs/index.html']), 'changed\n', 'a volume with content is not copied into again')
  // An empty volume is filled from whichever image mounts it first at a path where it has files.
  await env.ok(['run', '--rm', '-v', 'site:/usr/local/apache2/htdocs', HTTPD, 'rm', '/usr/local/apache2/htdocs/index.html'])
  t.equal(await env.ok(['run', '--rm', '-v', 'site:/usr/local/apache2/htdocs', HTTPD, 'cat', '/usr/local/apache2/htdocs/index.html']), '<html><body><h1>It works!</h1></body></html>\n', "empty again: copied again (Docker's rule)")
  // nocopy: the mode word that turns the copy off.
  t.equal(await env.ok(['run', '--rm', '-v', 'bare:/usr/local/apache2/htdocs:nocopy', HTTPD, 'ls', '-A', '/usr/local/apache2/htdocs']), '')
  // Ownership and mode of the image's directory come along (declared image: /data is 1000:1000 0700).
  t.equal(await env.ok(['run', '--rm', '-v', 'owned:/data', own('declared'), 'stat', '-c', '%u:%g %a', '/data']), '1000:1000 700\n')
  await env.ok(['volume', 'rm', 'site', 'bare', 'owned'])
})

t.test('copy-up resolves the path inside the image: links out of the root and FIFOs neither leak nor block', async (t) => {
  const started = Date.now()
  // /www -> <host canary dir>: in the image that path is nothing, so nothing is copied.
  t.equal(await env.ok(['run', '--rm', '-v', 'h1:/www', own('hostile'), 'ls', '-A', '/www']), '', 'the host directory the link names was not copied')
  t.same(readdirSync(join(volumesDir, 'h1', '_data')), [])
  // /site -> /srv/site inside the image: that is what is copied; the FIFO is recreated (not opened),
  // the link to the host file is copied as a link.
  await env.ok(['run', '--rm', '-v', 'h2:/site', own('hostile'), 'true'])
  const data = join(volumesDir, 'h2', '_data')
  t.equal(readFileSync(join(data, 'index.html'), 'utf8'), 'in-image site\n')
  t.ok(lstatSync(join(data, 'pipe')).isFIFO(), 'the FIFO is a FIFO in the volume')
  t.ok(lstatSync(join(data, 'secret')).isSymbolicLink(), 'the link stays a link')
  t.equal(readlinkSync(join(data, 'secret')), join(canaryDir, 'secret'))
  t.equal(readFileSync(join(canaryDir, 'secret'), 'utf8'), 'HOST-SECRET\n', 'the host canary is untouched')
  t.same(readdirSync(canaryDir), ['secret'], 'nothing was written into the host directory')
  t.ok(Date.now() - started < 60_000, 'no copy blocked')
  t.same(readdirSync(volumesDir).filter((n) => n.startsWith('.')), [], 'no temporary directory left')
  await env.ok(['volume', 'rm', 'h1', 'h2'])
})

t.test('anonymous volumes: VOLUME and -v /path; rm keeps them, rm -v and --rm remove them', async (t) => {
  const id = (await env.ok(['create', '-v', '/scratch', own('declared'), 'true'])).trim()
  const mounts = JSON.parse(await env.ok(['inspect', '--format', '{{json .Mounts}}', id]))
  t.equal(mounts.length, 2)
  for (const m of mounts) t.match(m, { Type: 'volume', Name: /^[0-9a-f]{64}$/, Source: /\/volumes\/[0-9a-f]{64}\/_data$/, Driver: 'local', RW: true })
  t.same(mounts.map((m: any) => m.Destination).sort(), ['/data', '/scratch'])
  const data = mounts.find((m: any) => m.Destination === '/data')
  t.equal(readFileSync(join(data.Source, 'seed'), 'utf8'), 'from the image\n', "the image's VOLUME content was copied")
  const [v] = JSON.parse(await env.ok(['volume', 'inspect', data.Name]))
  t.same(v.Labels, { 'com.docker.volume.anonymous': '' }, "Docker's label for anonymous volumes")
  await env.ok(['rm', id])
  t.equal((await names()).length, 2, 'rm without -v keeps them')
  const pruned = await env.ok(['volume', 'prune', '-f'])
  t.match(pruned, /^Deleted Volumes:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: /)
  t.same(await names(), [], 'prune takes unused anonymous volumes')

  const id2 = (await env.ok(['create', '-v', '/scratch', own('declared'), 'true'])).trim()
  t.equal((await names()).length, 2)
  await env.ok(['rm', '-v', id2])
  t.same(await names(), [], 'rm -v removes them')
  await env.ok(['run', '--rm', '-v', '/scratch', '-v', 'kept:/kept', own('declared'), 'true'])
  t.same(await names(), ['kept'], '--rm removes the anonymous ones, never a named one')
  const p = await env.ok(['volume', 'prune', '-f'])
  t.match(p, 'Total reclaimed space: 0B')
  t.same(await names(), ['kept'], 'prune without -a keeps named volumes')
  t.match(await env.ok(['volume', 'prune', '-af']), /Deleted Volumes:\nkept\n/)
})

t.test('a volume in use cannot be removed; prune leaves it too', async (t) => {
  const id = (await env.ok(['run', '-d', '-v', 'busy:/busy', BUSYBOX, 'sleep', '300'])).trim()
  const r = await env.tocker(['volume', 'rm', 'busy'])
  t.equal(r.code, 1)
  t.match(r.stderr, `Error response from daemon: remove busy: volume is in use - [${id}]`)
  const raw = await api(sock, 'DELETE', '/volumes/busy?force=1')
  t.equal(raw.status, 409, 'force does not remove a volume in use')
  await env.ok(['volume', 'prune', '-af'])
  t.same(await names(), ['busy'])
  await env.ok(['stop', '-t', '0', id])
  t.equal((await env.tocker(['volume', 'rm', 'busy'])).code, 1, 'a stopped container still uses it')
  await env.ok(['rm', id])
  t.equal(await env.ok(['volume', 'rm', 'busy']), 'busy\n')
})

t.test('--mount, --tmpfs and :ro', async (t) => {
  const out = await env.ok([
    'run',
    '--rm',
    '--mount',
    'type=volume,source=m1,target=/m1',
    '--mount',
    `type=bind,source=${tmp},target=/host,readonly`,
    '--mount',
    'type=tmpfs,target=/t1,tmpfs-size=2m,tmpfs-mode=1770',
    '--tmpfs',
    '/t2:size=1m',
    '-v',
    'ro1:/ro1:ro',
    BUSYBOX,
    'sh',
    '-c',
    'grep -E " /(m1|host|t1|t2|ro1) " /proc/mounts | sort -k2; touch /host/x 2>&1; touch /ro1/x 2>&1; stat -c %a /t1',
  ])
  t.match(out, /tmpfs \/t1 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=1770/)
  t.match(out, /tmpfs \/t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/)
  t.match(out, / \/host \S+ ro,/)
  t.match(out, / \/ro1 \S+ ro,/)
  t.match(out, / \/m1 \S+ rw,/)
  t.match(out, /touch: \/host\/x: Read-only file system/)
  t.match(out, /touch: \/ro1\/x: Read-only file system/)
  t.match(out, /1770\n$/)
  t.ok(!existsSync(join(tmp, 'x')))
  await env.ok(['volume', 'rm', 'm1', 'ro1'])
})

t.test('-v with a missing host directory creates it; --mount type=bind refuses it', async (t) => {
  const dir = join(tmp, 'made', 'by', 'run')
  t.equal(await env.ok(['run', '--rm', '-v', `${dir}:/x`, BUSYBOX, 'sh', '-c', 'echo hi > /x/f; cat /x/f']), 'hi\n')
  t.equal(readFileSync(join(dir, 'f'), 'utf8'), 'hi\n')
  const r = await env.tocker(['run', '--rm', '--mount', `type=bind,source=${join(tmp, 'absent')},target=/x`, BUSYBOX, 'true'])
  t.equal(r.code, 125)
  t.match(r.stderr, `invalid mount config for type "bind": bind source path does not exist: ${join(tmp, 'absent')}`)
  t.notOk(existsSync(join(tmp, 'absent')))
})

t.test("bad mounts: Docker's messages, nothing created", async (t) => {
  const before = (await env.ok(['ps', '-aq'])).trim()
  const cases: [string[], string][] = [
    [['--mount', 'type=bind'], 'invalid argument "type=bind" for "--mount" flag: target is required'],
    [['--mount', 'type=volume,target=/x,colour=red'], `invalid argument "type=volume,target=/x,colour=red" for "--mount" flag: unexpected key 'colour' in 'colour=red'`],
    [['--mount', 'type=volume,target=/x,readonly=maybe'], 'invalid value for readonly: maybe'],
    [['--mount', 'type=tmpfs,target=/x,volume-nocopy'], "cannot mix 'volume-*' options with mount type 'tmpfs'"],
    [['--mount', 'target=/x,bogus'], "invalid field 'bogus' must be a key=value pair"],
    [['--mount', 'type=floppy,target=/x'], 'invalid mount config for type "floppy": mount type unknown'],
    [['--mount', 'type=tmpfs,source=foo,target=/x'], 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [['--mount', 'type=volume,source=v1,target=rel'], `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    [['-v', 'v1:/same', '-v', 'v2:/same'], 'Duplicate mount point: /same'],
    [['-v', 'v1:/x:rx'], 'invalid mode: rx'],
    [['-v', 'bad/name:/x'], '"bad/name" includes invalid characters for a local volume name'],
    [['--mount', 'type=volume,target=/x,readonly'], 'must not set ReadOnly mode when using anonymous volumes'],
  ]
  for (const [args, message] of cases) {
    const r = await env.tocker(['run', '--rm', ...args, BUSYBOX, 'true'])
    t.equal(r.code, 125, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
  }
  t.equal((await env.ok(['ps', '-aq'])).trim(), before, 'no container was created')
  t.same(await names(), [], 'no volume was created')
})

t.test('volumes survive an engine restart; what interrupted work left is swept', async (t) => {
  await env.ok(['volume', 'create', 'lasting'])
  writeFileSync(join(volumesDir, 'lasting', '_data', 'f'), 'kept\n')
  mkdirSync(join(volumesDir, '.tmp-deadbeef', '_data'), { recursive: true })
  mkdirSync(join(volumesDir, '.trash-deadbeef', '_data'), { recursive: true })
  await env.stopEngine('SIGKILL')
  await env.startEngine()
  t.same(await names(), ['lasting'])
  t.equal(await env.ok(['run', '--rm', '-v', 'lasting:/l', BUSYBOX, 'cat', '/l/f']), 'kept\n')
  for (let i = 0; i < 100 && readdirSync(volumesDir).some((n) => n.startsWith('.')); i++) await new Promise((r) => setTimeout(r, 50))
  t.same(readdirSync(volumesDir), ['lasting'], 'leftovers swept at start')
  await env.ok(['volume', 'rm', 'lasting'])
})

t.test('the API: create answers 201 with the volume, df counts volumes', async (t) => {
  const c = await api(sock, 'POST', '/volumes/create', { body: { Name: 'api1', Labels: { a: 'b' } } })
  t.equal(c.status, 201)
  t.match(c.json, { Name: 'api1', Driver: 'local', Labels: { a: 'b' }, Scope: 'local' })
  const l = await api(sock, 'GET', '/volumes?filters=' + encodeURIComponent(JSON.stringify({ name: ['api'] })))
  t.same(l.json.Volumes.map((v: any) => v.Name), ['api1'])
  t.equal(l.json.Warnings, null)
  const dangling = await api(sock, 'GET', '/volumes?filters=' + encodeURIComponent(JSON.stringify({ dangling: ['true'] })))
  t.same(dangling.json.Volumes.map((v: any) => v.Name), ['api1'])
  const df = await api(sock, 'GET', '/system/df')
  t.match(df.json.Volumes, [{ Name: 'api1', UsageData: { RefCount: 0 } }])
  t.equal((await api(sock, 'DELETE', '/volumes/api1')).status, 204)
  t.equal((await api(sock, 'DELETE', '/volumes/api1')).status, 404)
})

t.test('cleanup', async () => {
  await cleanup()
})
