// The image store with real files, real flocks and real processes: commit/resolve/tag, Docker's rmi
// rules, garbage collection of shared layers, pins, a pull killed mid-unpack (SIGKILL) repaired by
// the next process, and two processes adding the same layer at once.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { chainIDs, ImageStore } from '../../../src/image/store.js'
import { MediaType } from '../../../src/image/types.js'
import { buildTar, sha256, type TEntry } from '../../helpers/tar-builder.js'
import { REPO_ROOT } from '../../helpers/paths.js'

const repoRoot = REPO_ROOT
const work = mkdtempSync(join(tmpdir(), 'tocker-store-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
let roots = 0
const freshRoot = () => join(work, `root-${++roots}`)

const GZ = { mediaType: MediaType.OciLayerGzip, digest: `sha256:${'0'.repeat(64)}`, size: 0 }

interface Layer {
  tar: Buffer
  gz: Buffer
  diffID: string
}

function layer(entries: TEntry[]): Layer {
  const tar = buildTar(entries)
  return { tar, gz: gzipSync(tar), diffID: sha256(tar) }
}

async function commit(store: ImageStore, layers: Layer[], tag?: string, extra: Record<string, unknown> = {}) {
  for (const l of layers) await store.addLayer(GZ, l.diffID, Readable.from([l.gz]))
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) }, ...extra }),
  )
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: layers.map((l) => l.diffID), n: randomBytes(4).toString('hex') }))
  const r = store.commitImage({ config, configDigest: sha256(config), manifest, manifestDigest: sha256(manifest), tag, repoDigest: tag ? `${tag.split(':').slice(0, -1).join(':')}@${sha256(manifest)}` : undefined })
  return { ...r, manifestDigest: sha256(manifest) }
}

const base = layer([{ name: 'bin/', type: 'dir' }, { name: 'bin/sh', data: 'shell', mode: 0o755 }])
const top1 = layer([{ name: 'etc/', type: 'dir' }, { name: 'etc/one', data: '1' }])
const top2 = layer([{ name: 'etc/', type: 'dir' }, { name: 'etc/two', data: '2' }])

t.test('commit, resolve by every kind of name, list, layerDirs, tag, untag', async (t) => {
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const a = await commit(store, [base, top1], 'docker.io/library/busybox:latest')
  const b = await commit(store, [base, top2], 'docker.io/lab/tools:1.0')
  t.equal(a.previousId, undefined)
  t.ok(store.hasLayer(base.diffID) && store.hasLayer(top1.diffID))
  t.equal(await store.addLayer(GZ, base.diffID, Readable.from([base.gz])), 'exists', 'a layer is unpacked once')
  const hex = a.id.slice(7)
  for (const name of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', 'library/busybox', a.id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 5)}`]) {
    t.equal(store.resolve(name)?.id, a.id, `resolve ${name}`)
  }
  t.equal(store.resolve(`busybox@${a.manifestDigest}`)?.id, a.id, 'resolve by repo digest')
  t.equal(store.resolve('lab/tools:1.0')?.id, b.id)
  t.equal(store.resolve('lab/tools'), undefined, 'no :latest tag there')
  t.equal(store.resolve('nosuch'), undefined)
  const rec = store.resolve('busybox')!
  t.same(rec.repoTags, ['docker.io/library/busybox:latest'])
  t.same(rec.repoDigests, [`docker.io/library/busybox@${a.manifestDigest}`])
  t.equal(rec.created, '2024-01-02T03:04:05Z')
  t.equal(rec.size, 'shell'.length + 1, 'size: file bytes of its layers')
  t.same(store.layerDirs(a.id), [top1, base].map((l) => join(store.layout.layers, l.diffID.slice(7), 'diff')), 'lowerdirs, top layer first')
  t.equal(readFileSync(join(store.layerDirs(a.id)[0], 'etc/one'), 'utf8'), '1')
  t.same(store.list().map((i) => i.id).sort(), [a.id, b.id].sort())

  store.tag(a.id, 'docker.io/library/busybox:stable')
  t.same(store.resolve('busybox:stable')?.repoTags, ['docker.io/library/busybox:latest', 'docker.io/library/busybox:stable'])
  const moved = await commit(store, [base, top2], 'docker.io/library/busybox:latest', { author: 'x' })
  t.equal(moved.previousId, a.id, 'a tag moving to another image reports the previous one')
  t.ok(store.untag('docker.io/library/busybox:stable'))
  t.notOk(store.untag('docker.io/library/busybox:stable'), 'untag twice')
  t.same(store.resolve(a.id)?.repoTags, [], 'now dangling')
  t.throws(() => store.tag(a.id, 'docker.io/library/x@sha256:' + 'a'.repeat(64)), /digest reference/)
  const repos = JSON.parse(readFileSync(store.layout.repositories, 'utf8'))
  t.equal(repos['docker.io/lab/tools:1.0'], b.id, 'repositories.json: flat map of full references to image IDs')
})

t.test('layerDirs lists a repeated layer once, at its topmost place', async (t) => {
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const r = await commit(store, [base, top1, base], 'docker.io/library/rep:1')
  t.same(store.layerDirs(r.id), [base, top1].map((l) => store.layers.diffDir(l.diffID)))
})

t.test('commitImage refuses a wrong config digest and missing layers', async (t) => {
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [top1.diffID] } }))
  const m = Buffer.from('{}')
  t.throws(() => store.commitImage({ config, configDigest: sha256(Buffer.from('x')), manifest: m, manifestDigest: sha256(m) }), { code: 'EDIGEST' })
  t.throws(() => store.commitImage({ config, configDigest: sha256(config), manifest: m, manifestDigest: sha256(m), tag: 'docker.io/library/x:1' }), { code: 'ELAYERMISSING' })
  t.same(store.list(), [], 'no image recorded')
  t.notOk(existsSync(store.layout.repositories), 'no tag recorded')
  t.throws(() => store.putBlob(sha256(Buffer.from('a')), Buffer.from('b')), { code: 'EDIGEST' }, 'putBlob verifies')
})

t.test('rmi: untag, delete, and garbage-collect shared layers only when the last user goes', async (t) => {
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const a = await commit(store, [base, top1], 'docker.io/library/one:latest')
  const b = await commit(store, [base, top2], 'docker.io/library/two:latest')
  store.tag(a.id, 'docker.io/library/one:v1')

  let r = store.removeImage('one:v1')
  t.same(r, { untagged: ['one:v1'], deleted: [] }, 'another tag remains: only untagged')

  r = store.removeImage('one')
  t.same(r.untagged, ['one:latest', `one@${a.manifestDigest}`], 'the last tag of a repository takes its digest references along')
  t.same(r.deleted, [a.id, chainIDs([base.diffID, top1.diffID])[1]], 'image deleted, then its own layer (as a chain ID); the shared base stays')
  t.ok(store.layers.has(base.diffID), 'base layer still used by "two"')
  t.notOk(store.layers.has(top1.diffID), "one's top layer is gone")
  t.notOk(existsSync(join(store.layout.blobs, a.id.slice(7))), 'config blob removed')

  r = store.removeImage(b.id.slice(7, 19))
  t.same(r.untagged, ['two:latest', `two@${b.manifestDigest}`], 'by ID: all references of a single repository go')
  t.same(r.deleted, [b.id, ...chainIDs([base.diffID, top2.diffID]).reverse()], 'last user gone: every layer deleted, top first')
  t.same(readdirSync(store.layout.layers), ['l'], 'no layers left')
  t.same(readdirSync(join(store.layout.layers, 'l')), [], 'nor their short links')
  t.same(readdirSync(store.layout.images), [], 'no images left')
  t.same(readdirSync(store.layout.blobs), [], 'no blobs left')
  t.throws(() => store.removeImage('one'), { message: 'No such image: one:latest', status: 404 })
})

t.test('rmi conflicts like Docker: several repositories by ID, containers using the image', async (t) => {
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const a = await commit(store, [base], 'docker.io/library/one:latest')
  store.tag(a.id, 'docker.io/library/other:latest')
  const short = a.id.slice(7, 19)
  t.throws(() => store.removeImage(short), { message: `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`, status: 409 })
  t.equal(store.resolve('one')?.id, a.id, 'nothing removed')

  const running = () => [{ id: 'c0ffee'.repeat(10), running: true }]
  const stopped = () => [{ id: 'dead00'.repeat(10), running: false }]
  store.untag('docker.io/library/other:latest')
  t.throws(() => store.removeImage('one', { users: stopped }), {
    message: `conflict: unable to remove repository reference "one" (must force) - container dead00dead00 is using its referenced image ${short}`,
  })
  t.throws(() => store.removeImage('docker.io/library/one:latest', { users: stopped }), {
    message: `conflict: unable to remove repository reference "docker.io/library/one:latest" (must force) - container dead00dead00 is using its referenced image ${short}`,
  }, 'quoted as given, as Docker does')
  t.throws(() => store.removeImage(short, { force: true, users: running }), {
    message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container c0ffeec0ffee`,
  })
  const r = store.removeImage('one', { force: true, users: running })
  t.same(r.deleted, [], 'forced untag of an image a running container uses: the image stays, dangling')
  t.ok(store.get(a.id))
  store.tag(a.id, 'docker.io/library/one:latest')
  store.tag(a.id, 'docker.io/library/other:latest')
  const forced = store.removeImage(short, { force: true })
  t.same(forced.untagged.sort(), ['one:latest', 'other:latest'], '-f by ID untags every repository')
  t.equal(forced.deleted[0], a.id)
})

/** A pull in progress (`puller`) that pinned top1, and another process's image x:1 made of it. */
async function pinnedByAPull(t: Test) {
  const root = freshRoot()
  const puller = new ImageStore(root)
  const other = new ImageStore(root)
  t.teardown(() => {
    puller.close()
    other.close()
  })
  await puller.addLayer(GZ, top1.diffID, Readable.from([top1.gz])) // pinned, no image yet
  const x = await commit(other, [top1], 'docker.io/library/x:1')
  return { root, puller, other, x }
}

t.test('a layer pinned by a pull in progress survives garbage collection', async (t) => {
  const { root, puller, other, x } = await pinnedByAPull(t)
  t.same(other.removeImage('x:1').deleted, [x.id], 'the pinned layer is kept')
  t.ok(other.layers.has(top1.diffID))
  puller.close() // the pull ends (or dies): its pins go with its session
  const y = await commit(other, [top1], 'docker.io/library/x:1')
  t.same(other.removeImage('x:1').deleted, [y.id, top1.diffID], 'unpinned: collected')

  // "Already exists": a pull that found the layer (hasLayer) keeps it until it commits its image.
  const z = await commit(other, [top2], 'docker.io/library/z:1')
  const pull2 = new ImageStore(root)
  t.teardown(() => pull2.close())
  t.ok(pull2.hasLayer(top2.diffID))
  t.same(other.removeImage('z:1').deleted, [z.id], 'a layer a pull found is kept for it')
  const config = Buffer.from(JSON.stringify({ created: '2024-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [top2.diffID] } }))
  const m = Buffer.from('{}')
  t.doesNotThrow(() => pull2.commitImage({ config, configDigest: sha256(config), manifest: m, manifestDigest: sha256(m), tag: 'docker.io/library/z:2' }), 'its image commits')

  // A layer of no image and no live pull (a pull killed after unpacking, before committing).
  pull2.close()
  const orphan = new ImageStore(root)
  await orphan.addLayer(GZ, base.diffID, Readable.from([base.gz]))
  orphan.close()
  t.ok(other.layers.has(base.diffID))
  other.removeImage('z:2')
  t.notOk(other.layers.has(base.diffID), 'orphan layers are collected by the next rmi')
})

t.test("a live pull's pins that cannot be read stop the garbage collector (not read as 'no pins')", async (t) => {
  const { puller, other, x } = await pinnedByAPull(t)
  // The pins directory fails to read (ELOOP here; EIO or EACCES on a real machine).
  const pins = join(puller.session().dir, 'pins')
  renameSync(pins, `${pins}.kept`)
  symlinkSync('pins', pins)
  t.throws(() => other.removeImage('x:1'), { code: 'ESTATE', message: /cannot read the image store's .*pins: ELOOP/ })
  t.ok(other.layers.has(top1.diffID), 'the pinned layer is still there')
  t.equal(other.resolveId('x:1'), x.id, 'and the image and its tag: rmi changed nothing')
  rmSync(pins)
  renameSync(`${pins}.kept`, pins)
  t.same(other.removeImage('x:1').deleted, [x.id], 'readable again: the pin holds')
})

/** A layer big enough to be caught in the middle of its unpack. */
function bigLayerFile(): { file: string; diffID: string; files: number } {
  const entries: TEntry[] = [{ name: 'data/', type: 'dir' }]
  for (let i = 0; i < 400; i++) entries.push({ name: `data/f${i}`, data: randomBytes(40_000) })
  const tar = buildTar(entries)
  const file = join(work, `big-${randomBytes(3).toString('hex')}.tar.gz`)
  writeFileSync(file, gzipSync(tar, { level: 1 }))
  return { file, diffID: sha256(tar), files: 400 }
}

const child = fileURLToPath(new URL('./helpers/store-child.mjs', import.meta.url))
if (!existsSync(join(repoRoot, 'dist', 'src', 'image', 'store.js'))) {
  t.fail('build first: npx tsc -p .')
  process.exit(1)
}

function startChild(args: string[]) {
  const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
  let out = ''
  let err = ''
  p.stdout.on('data', (d) => (out += d))
  p.stderr.on('data', (d) => (err += d))
  const done = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((res) => p.on('close', (code, signal) => res({ code, signal, out, err })))
  let closed = false
  void done.then(() => (closed = true))
  const started = new Promise<void>((res) => {
    const check = () => (out.includes('started') || closed ? res() : setTimeout(check, 5))
    check()
  })
  return {
    p,
    done,
    started,
    get out() {
      return out
    },
  }
}

t.test('a pull killed in the middle of an unpack leaves only tmp/ garbage, which the next process removes', async (t) => {
  const root = freshRoot()
  const big = bigLayerFile()
  const c = startChild(['add', root, big.file, big.diffID, 'stall'])
  await c.started
  // Wait until the unpack has really written files in its work directory.
  const deadline = Date.now() + 20_000
  const workFiles = () => {
    try {
      return readdirSync(join(root, 'tmp'), { recursive: true }).filter((p) => String(p).includes('/diff/data/')).length
    } catch {
      return 0
    }
  }
  while (workFiles() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  t.ok(workFiles() > 0, 'the unpack is under way in tmp/')
  c.p.kill('SIGKILL')
  const r = await c.done
  t.equal(r.signal, 'SIGKILL')
  t.same(existsSync(join(root, 'layers')) ? readdirSync(join(root, 'layers')) : [], [], 'no layer became visible')
  t.ok(readdirSync(join(root, 'tmp')).length > 0, 'garbage left in tmp/')

  const store = new ImageStore(root)
  t.teardown(() => store.close())
  const mine = store.session().dir
  t.same(readdirSync(join(root, 'tmp')).sort(), [mine.split('/').pop()!, mine.split('/').pop()! + '.lock'].sort(), "the next process removed the dead one's tmp/ session")
  const { createReadStream } = await import('node:fs')
  t.equal(await store.addLayer(GZ, big.diffID, createReadStream(big.file)), 'added', 'the layer is unpacked again, completely')
  t.equal(readdirSync(join(store.layers.diffDir(big.diffID), 'data')).length, big.files)
})

t.test('two processes adding the same layer at once: one unpacks, the other finds it', async (t) => {
  const root = freshRoot()
  const big = bigLayerFile()
  const a = startChild(['add', root, big.file, big.diffID])
  const b = startChild(['add', root, big.file, big.diffID])
  const [ra, rb] = await Promise.all([a.done, b.done])
  t.equal(ra.code, 0, ra.err + ra.out)
  t.equal(rb.code, 0, rb.err + rb.out)
  const results = [JSON.parse(ra.out.trim().split('\n').pop()!).result, JSON.parse(rb.out.trim().split('\n').pop()!).result].sort()
  t.same(results, ['added', 'exists'])
  const store = new ImageStore(root)
  t.teardown(() => store.close())
  t.equal(readdirSync(join(store.layers.diffDir(big.diffID), 'data')).length, big.files, 'the layer is complete')
  t.same(readdirSync(store.layout.layers).filter((n) => n !== 'l'), [big.diffID.slice(7)], 'exactly one layer directory')
  store.close()
  t.same(readdirSync(join(root, 'tmp')), [], 'both processes cleaned their tmp/ sessions at exit')
})

t.test('a stale layer directory without layer.json is replaced', async (t) => {
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const dir = store.layers.dir(top2.diffID)
  mkdirSync(join(dir, 'diff'), { recursive: true })
  writeFileSync(join(dir, 'diff', 'junk'), 'x')
  t.notOk(store.hasLayer(top2.diffID))
  t.equal(await store.addLayer(GZ, top2.diffID, Readable.from([top2.gz])), 'added')
  t.same(readdirSync(join(dir, 'diff')), ['etc'])
})

t.test('a stream that fails while its layer waits for the lock is reported, not fatal', async (t) => {
  const { tryLock } = await import('../../../src/sys/lock.js')
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const held = tryLock(join(store.layout.locks, `layer-${top1.diffID.slice(7)}.lock`))!
  t.ok(held, 'another "process" holds the layer lock')
  const body = new Readable({ read() {} })
  setTimeout(() => body.destroy(new Error('connection reset by peer')), 20)
  setTimeout(() => held.release(), 100)
  await t.rejects(store.addLayer(GZ, top1.diffID, body), { message: 'connection reset by peer' })
  t.notOk(store.layers.has(top1.diffID))
  t.same(readdirSync(store.session().dir).filter((n) => n.startsWith('layer-')), [], 'no work directory left')
})

t.test("layers are unpacked under a session directory marked chattr +T (ext4's Orlov allocator spreads them)", async (t) => {
  const { closeSync, constants: fsc, openSync } = await import('node:fs')
  const { inodeFlags, FS_TOPDIR_FL } = await import('../../../native-shims/fs.js')
  const { markTopDir } = await import('../../../src/sys/fs.js')
  const flagsOf = (dir: string) => {
    const fd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY)
    try {
      return inodeFlags(fd, dir)
    } finally {
      closeSync(fd)
    }
  }
  const store = new ImageStore(freshRoot())
  t.teardown(() => store.close())
  const fsType = spawnSync('stat', ['-f', '-c', '%T', work], { encoding: 'utf8' }).stdout.trim()
  if (fsType === 'ext2/ext3') {
    t.ok(flagsOf(store.session().dir) & FS_TOPDIR_FL, 'the session directory has FS_TOPDIR_FL')
    const lsattr = spawnSync('lsattr', ['-d', store.session().dir], { encoding: 'utf8' })
    if (lsattr.status === 0) t.match(lsattr.stdout.split(' ')[0], /T/, 'lsattr shows T')
    t.equal(await store.addLayer(GZ, top1.diffID, Readable.from([top1.gz])), 'added')
    t.equal(flagsOf(store.layers.dir(top1.diffID)) & FS_TOPDIR_FL, 0, 'not inherited by the layers made in it')
  } else {
    t.comment(`${work} is on ${fsType}, not ext4: only the fallback is checked`)
  }
  // A file system without the flag: nothing changes, no error.
  const shm = mkdtempSync('/dev/shm/tocker-store-test-')
  t.teardown(() => rmSync(shm, { recursive: true, force: true }))
  t.equal(markTopDir(shm), false, 'tmpfs has no FS_TOPDIR_FL: false, no error')
  t.throws(() => markTopDir(join(shm, 'missing')), { code: 'ENOENT' }, 'a missing directory is an error')
})
