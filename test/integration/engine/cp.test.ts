// `tocker cp` through a real engine and the real kernel, both directions, running and stopped
// containers, tars on stdin/stdout, Docker's copy rules (trailing "/", "/.", missing/dir/file
// destinations) and its error lines — and the attacks the container can make on the engine that
// copies its files: symlinks to the host's paths (absolute, relative, as a parent of the destination,
// inside a copied tree) and a PUT tar with "..", absolute names and writes through its own links (a
// container racing a directory against a symlink while copies run, CVE-2018-15664, is
// cp-race.test.ts). The canaries are files under this test's temporary directory; nothing outside it
// may appear or be read. Docker's own CLI copies through tockerd too. Runs in a private network
// namespace.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, lstatSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { dockerCli, engineTestBed, tockerShell } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
t.teardown(cleanup)
const BUSYBOX = ref('busybox')
const work = mkdtempSync(join(tmpdir(), 'tocker-cp-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const docker = dockerCli(env.socket, join(work, 'docker-config'))

/** A shell pipeline with $TOCKER meaning this engine's CLI. */
const sh = (script: string) => tockerShell(env, script)

const local = (...p: string[]) => join(work, ...p)
const read = (...p: string[]) => readFileSync(local(...p), 'utf8')
const exec = (c: string, script: string) => env.ok(['exec', c, 'sh', '-c', script])

// Files in the container: /data/{a.txt, sub/b.txt, link -> a.txt}; on the host: src/{x.txt, d/y.txt}.
await env.ok(['run', '-d', '--name', 'c1', BUSYBOX, 'sleep', '600'])
await exec('c1', 'mkdir -p /data/sub && echo A > /data/a.txt && echo B > /data/sub/b.txt && ln -s a.txt /data/link && chmod 640 /data/a.txt')
mkdirSync(local('src', 'd'), { recursive: true })
writeFileSync(local('src', 'x.txt'), 'X\n')
writeFileSync(local('src', 'd', 'y.txt'), 'Y\n')

t.test('from a running container: a file, a renamed file, a directory, "/." and links', async (t) => {
  mkdirSync(local('out1'))
  let r = await env.tocker(['cp', 'c1:/data/a.txt', local('out1')])
  t.equal(r.code, 0, r.stderr)
  t.equal(read('out1', 'a.txt'), 'A\n')
  t.equal(lstatSync(local('out1', 'a.txt')).mode & 0o777, 0o640, 'mode kept')
  t.equal(r.stderr, '', 'no progress without a terminal (as Docker)')
  t.equal((await env.tocker(['cp', '-q', 'c1:/data/a.txt', local('out1', 'renamed.txt')])).stderr, '', '-q: quiet')
  t.equal(read('out1', 'renamed.txt'), 'A\n')
  await env.ok(['cp', 'c1:/data', local('out1', 'newdir')])
  t.same(readdirSync(local('out1', 'newdir')).sort(), ['a.txt', 'link', 'sub'], 'a missing destination takes the directory')
  t.equal(read('out1', 'newdir', 'sub', 'b.txt'), 'B\n')
  t.ok(lstatSync(local('out1', 'newdir', 'link')).isSymbolicLink(), 'a link is copied as a link')
  await env.ok(['cp', 'c1:/data', local('out1', 'newdir')])
  t.ok(existsSync(local('out1', 'newdir', 'data', 'sub', 'b.txt')), 'an existing directory receives the directory')
  mkdirSync(local('out1', 'contents'))
  await env.ok(['cp', 'c1:/data/.', local('out1', 'contents')])
  t.same(readdirSync(local('out1', 'contents')).sort(), ['a.txt', 'link', 'sub'], '"/." copies the contents')
  await env.ok(['cp', 'c1:/data/link', local('out1', 'l1')])
  t.ok(lstatSync(local('out1', 'l1')).isSymbolicLink(), 'without -L: the link itself')
  await env.ok(['cp', '-L', 'c1:/data/link', local('out1', 'l2')])
  t.equal(read('out1', 'l2'), 'A\n', '-L: what it points to')
  r = await env.tocker(['cp', 'c1:/data/sub', local('out1', 'a-file')])
  t.equal(r.code, 0)
  writeFileSync(local('out1', 'plain'), 'p')
  r = await env.tocker(['cp', 'c1:/data/sub', local('out1', 'plain')])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'cannot copy directory\n')
})

t.test('into a running container: file, rename, directory, "/."; diff sees the writable layer', async (t) => {
  let r = await env.tocker(['cp', local('src', 'x.txt'), 'c1:/tmp'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stderr, '')
  t.equal(await exec('c1', 'cat /tmp/x.txt'), 'X\n')
  await env.ok(['cp', local('src', 'x.txt'), 'c1:/tmp/y.txt'])
  t.equal(await exec('c1', 'cat /tmp/y.txt'), 'X\n')
  await env.ok(['cp', local('src'), 'c1:/tmp/newsrc'])
  t.equal(await exec('c1', 'cat /tmp/newsrc/d/y.txt'), 'Y\n')
  await env.ok(['cp', local('src') + '/.', 'c1:/data'])
  t.equal(await exec('c1', 'cat /data/x.txt /data/d/y.txt'), 'X\nY\n')
  await env.ok(['cp', local('src', 'x.txt'), 'c1:/etc/hostname'])
  t.equal(await exec('c1', 'cat /etc/hostname'), 'X\n', 'a file replaces a file (a bind-mounted one here)')
  await env.ok(['cp', local('src', 'x.txt'), 'c1:/bin/cp-added'])
  const diff = await env.ok(['diff', 'c1'])
  t.match(diff, /^A \/tmp\/x\.txt$/m)
  t.match(diff, /^A \/bin\/cp-added$/m, 'written into the upper dir through the overlay')
  t.match(diff, /^C \/bin$/m)
  r = await env.tocker(['cp', local('src', 'x.txt'), 'c1:/nodir/'])
  t.equal(r.code, 1)
  t.equal(r.stderr.split('\n').at(-2), 'no such directory')
  r = await env.tocker(['cp', local('src', 'x.txt'), 'c1:/nodir/sub/x'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^Error response from daemon: Could not find the file \/nodir\/sub in container c1$/m)
  r = await env.tocker(['cp', local('src'), 'c1:/etc/passwd'])
  t.equal(r.code, 1)
  t.equal(r.stderr.split('\n').at(-2), 'cannot copy directory')
  r = await env.tocker(['cp', 'c1:/nosuch', local('out-none')])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'Error response from daemon: Could not find the file /nosuch in container c1\n')
  r = await env.tocker(['cp', local('nosuch'), 'c1:/tmp'])
  t.equal(r.code, 1)
  t.equal(r.stderr, `lstat ${local('nosuch')}: no such file or directory\n`)
  r = await env.tocker(['cp', local('src'), local('out')])
  t.equal(r.stderr, 'must specify at least one container source\n')
  r = await env.tocker(['cp', 'c1:/a', 'c2:/b'])
  t.equal(r.stderr, 'copying between containers is not supported\n')
  r = await env.tocker(['cp', 'nosuch:/a', local('out')])
  t.equal(r.stderr, 'Error response from daemon: No such container: nosuch\n')
})

t.test('tars on stdin and stdout', async (t) => {
  let r = await sh(`$TOCKER cp c1:/data - | tar -tf - | sort`)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, ['data/', 'data/a.txt', 'data/d/', 'data/d/y.txt', 'data/link', 'data/sub/', 'data/sub/b.txt', 'data/x.txt', ''].join('\n'))
  r = await sh(`$TOCKER cp c1:/data/a.txt - | tar -xOf -`)
  t.equal(r.stdout, 'A\n')
  r = await sh(`tar -cf - -C ${local('src')} . | $TOCKER cp - c1:/tmp`)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stderr, '', 'no progress line for a tar from stdin')
  t.equal(await exec('c1', 'cat /tmp/d/y.txt'), 'Y\n')
  r = await sh(`tar -cf - -C ${local('src')} . | $TOCKER cp - c1:/tmp/x.txt`)
  t.equal(r.code, 1)
  t.equal(r.stderr, 'destination "c1:/tmp/x.txt" must be a directory\n')
})

t.test('a stopped container (and one never started): read and written through its own overlay', async (t) => {
  await env.ok(['stop', '-t', '0', 'c1'])
  await env.ok(['cp', 'c1:/data/sub/b.txt', local('from-stopped.txt')])
  t.equal(read('from-stopped.txt'), 'B\n')
  await env.ok(['cp', local('src', 'x.txt'), 'c1:/etc/from-host'])
  t.match(await env.ok(['diff', 'c1']), /^A \/etc\/from-host$/m, 'the upper dir has it')
  await env.ok(['start', 'c1'])
  t.equal(await exec('c1', 'cat /etc/from-host'), 'X\n', 'the started container sees it')
  await env.ok(['create', '--name', 'fresh', BUSYBOX, 'cat', '/greeting'])
  writeFileSync(local('greeting'), 'hello from cp\n')
  await env.ok(['cp', local('greeting'), 'fresh:/'])
  t.equal(await env.ok(['start', '-a', 'fresh']), 'hello from cp\n')
  t.equal(await env.ok(['diff', 'fresh']), 'A /greeting\n')
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
  t.notMatch(mounts, new RegExp(`${env.root}/containers/[0-9a-f]+/rootfs`), 'no overlay left mounted by a copy')
  await env.ok(['rm', 'fresh'])
})

// ---- the container as the adversary ----

const canary = local('canary')
mkdirSync(canary)
writeFileSync(join(canary, 'inner.txt'), 'host-secret\n')
const canaryUntouched = (t: { same: (a: unknown, b: unknown, m: string) => unknown }, what: string) => t.same(readdirSync(canary), ['inner.txt'], `${what}: nothing written on the host`)

/** Every regular file under dir: none may hold the host's secret. */
function noSecretIn(dir: string): boolean {
  if (!existsSync(dir)) return true
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = lstatSync(p)
    if (st.isDirectory() && !noSecretIn(p)) return false
    if (st.isFile() && readFileSync(p, 'utf8').includes('host-secret')) return false
  }
  return true
}

t.test('symlinks to host paths are resolved inside the container, for reads and writes', async (t) => {
  await exec('c1', `mkdir -p /tmp/tree && ln -s ${canary} /tmp/abs && ln -s ../../../../../../../..${canary} /tmp/rel && ln -s / /tmp/tree/root && ln -s ${canary} /tmp/tree/abs`)
  for (const src of ['/tmp/abs/inner.txt', '/tmp/rel/inner.txt', '/tmp/abs/.', '/tmp/tree/abs/inner.txt']) {
    const r = await env.tocker(['cp', `c1:${src}`, local('leak')])
    t.equal(r.code, 1, `${src}: refused`)
    t.equal(r.stderr, `Error response from daemon: Could not find the file ${src} in container c1\n`, `${src}: not found in the container`)
  }
  const r = await env.tocker(['cp', '-L', 'c1:/tmp/abs', local('leak-L')])
  t.equal(r.code, 1, '-L to a host path: not in the container')
  await env.ok(['cp', 'c1:/tmp/tree', local('leak-tree')])
  t.ok(lstatSync(local('leak-tree', 'abs')).isSymbolicLink(), 'links inside a copied tree stay links')
  t.ok(noSecretIn(local('leak-tree')) && !existsSync(local('leak')), 'no host file read into a copy')
  for (const dst of ['/tmp/abs/', '/tmp/rel/', '/tmp/abs/sub/new.txt', '/tmp/tree/abs/']) {
    const w = await env.tocker(['cp', local('src', 'x.txt'), `c1:${dst}`])
    t.equal(w.code, 1, `${dst}: refused`)
  }
  canaryUntouched(t, 'writes through links to the host')
  // The same host path made inside the container: the copy lands there, in the container.
  await exec('c1', `mkdir -p ${canary}`)
  await env.ok(['cp', local('src', 'x.txt'), 'c1:/tmp/abs/'])
  t.equal(await exec('c1', `cat ${canary}/x.txt`), 'X\n', "the link's target inside the container received it")
  canaryUntouched(t, 'the container has its own copy of that path')
})

/** A tar whose entries python's tarfile writes as given (the attacks a CLI would never make). */
async function evilTar(name: string, entries: { name: string; type?: 'file' | 'symlink' | 'hardlink' | 'dir'; target?: string; data?: string }[]): Promise<string> {
  const file = local(`${name}.tar`)
  const py = [
    'import tarfile, io, json, sys',
    'entries = json.loads(sys.argv[2])',
    "with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as tf:",
    '    for e in entries:',
    "        ti = tarfile.TarInfo(e['name'])",
    "        typ = e.get('type', 'file')",
    "        if typ == 'symlink': ti.type = tarfile.SYMTYPE; ti.linkname = e['target']",
    "        elif typ == 'hardlink': ti.type = tarfile.LNKTYPE; ti.linkname = e['target']",
    "        elif typ == 'dir': ti.type = tarfile.DIRTYPE; ti.mode = 0o755",
    "        data = e.get('data', '').encode(); ti.size = len(data) if typ == 'file' else 0",
    '        tf.addfile(ti, io.BytesIO(data) if typ == "file" else None)',
  ].join('\n')
  const r = await sh(`python3 -c '${py.replace(/'/g, `'"'"'`)}' ${file} '${JSON.stringify(entries)}'`)
  if (r.code !== 0) throw new Error(r.stderr)
  return file
}

t.test('a PUT tar may not climb out, use absolute names, or write through its own links', async (t) => {
  await exec('c1', 'mkdir -p /tmp/put')
  const cases: [string, Parameters<typeof evilTar>[1], RegExp][] = [
    ['dotdot', [{ name: '../../../../../../..' + canary + '/dotdot.txt', data: 'x' }], /refusing to extract .*has a "\.\." component/],
    ['absolute', [{ name: canary + '/abs.txt', data: 'x' }], /refusing to extract .*its name is absolute/],
    ['through-link', [{ name: 'lnk', type: 'symlink', target: canary }, { name: 'lnk/pwned.txt', data: 'x' }], /refusing to extract "lnk\/pwned\.txt": .* is a symbolic link/],
    ['relative-link', [{ name: 'up', type: 'symlink', target: '../../../../../..' }], /invalid symlink .*points outside of \/tmp\/put/],
    ['hardlink-out', [{ name: 'hl', type: 'hardlink', target: '../../etc/passwd' }], /refusing to extract "hl": its hard link target has a "\.\." component/],
  ]
  for (const [name, entries, message] of cases) {
    const file = await evilTar(name, entries)
    const r = await sh(`$TOCKER cp - c1:/tmp/put < ${file}`)
    t.equal(r.code, 1, `${name}: refused`)
    t.match(r.stderr, message, name)
    t.match(r.stderr, /^Error response from daemon: /, `${name}: the engine's error`)
  }
  canaryUntouched(t, 'hostile tars')
  t.equal(await exec('c1', `ls /tmp/put; test -e ${canary}/pwned.txt || echo none-in-container`), 'lnk\nnone-in-container\n', 'only the link was made, nothing through it')
  // An absolute link inside the destination is the container's own business (Docker allows it).
  const ok = await evilTar('abs-link', [{ name: 'etc-link', type: 'symlink', target: '/etc' }])
  t.equal((await sh(`$TOCKER cp - c1:/tmp/put < ${ok}`)).code, 0)
  t.equal(await exec('c1', 'readlink /tmp/put/etc-link'), '/etc\n')
})

t.test("Docker's CLI copies through tockerd", async (t) => {
  mkdirSync(local('docker-out'))
  let r = await docker(['cp', 'c1:/data/a.txt', local('docker-out')])
  t.equal(r.code, 0, r.stderr)
  t.equal(read('docker-out', 'a.txt'), 'A\n')
  t.equal(r.stderr, '', 'no progress without a terminal, as tocker')
  r = await docker(['cp', 'c1:/data', local('docker-out', 'data')])
  t.equal(r.code, 0, r.stderr)
  t.equal(read('docker-out', 'data', 'sub', 'b.txt'), 'B\n')
  t.ok(lstatSync(local('docker-out', 'data', 'link')).isSymbolicLink())
  r = await docker(['cp', local('src'), 'c1:/tmp/docker-in'])
  t.equal(r.code, 0, r.stderr)
  t.equal(await exec('c1', 'cat /tmp/docker-in/d/y.txt'), 'Y\n')
  r = await docker(['cp', '-L', 'c1:/data/link', local('docker-out', 'followed')])
  t.equal(r.code, 0, r.stderr)
  t.equal(read('docker-out', 'followed'), 'A\n', '-L: HEAD gives the link target, resolved in the container')
  r = await docker(['cp', 'c1:/nosuch', local('docker-out')])
  t.equal(r.code, 1)
  t.equal(r.stderr, 'Error response from daemon: Could not find the file /nosuch in container c1\n')
  r = await docker(['cp', '-a', local('src', 'x.txt'), 'c1:/tmp/abs/'])
  t.equal(r.code, 0, r.stderr)
  canaryUntouched(t, "docker's CLI")
  const [ours, theirs] = await Promise.all([env.tocker(['cp', local('src', 'x.txt'), 'c1:/nodir/']), docker(['cp', local('src', 'x.txt'), 'c1:/nodir/'])])
  t.equal(ours.code, theirs.code)
  t.equal(ours.stderr.split('\n').at(-2), theirs.stderr.split('\n').at(-2), "the same error as Docker's CLI: " + theirs.stderr.trim().split('\n').at(-1))
})

t.test('cleanup', async () => {
  await env.ok(['rm', '-f', 'c1'])
})
