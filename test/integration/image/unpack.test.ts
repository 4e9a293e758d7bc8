// The layer unpacker against the real kernel: metadata kept (owners, setuid/sticky modes, links,
// devices, fifos, xattrs, mtimes), whiteouts as overlayfs wants them (checked by mounting an overlay
// in a private mount namespace), hostile layers refused with nothing written, and the exact original
// tar rebuilt from the unpacked layer (tar-split).
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { lgetxattr, lsetxattr } from '../../../src/sys/fs.js'
import { assembleTar } from '../../../src/image/unpack/tar-split.js'
import { unpackLayer } from '../../../src/image/unpack/unpack.js'
import { unpackLayerInWorker } from '../../../src/image/unpack/unpack-thread.js'
import { onTrace } from '../../../src/trace/trace.js'
import { buildTar, sha256, type TEntry } from '../../helpers/tar-builder.js'
import { distPath } from '../../helpers/paths.js'

const work = mkdtempSync(join(tmpdir(), 'tocker-unpack-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
let n = 0
const freshDir = () => {
  const d = join(work, `layer-${++n}`)
  mkdirSync(d)
  return d
}

/** Stream a buffer in small chunks (headers split across chunks, as from the network). */
function chunked(data: Buffer, size = 777): Readable {
  return Readable.from(
    (function*() {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
    })(),
    { objectMode: false },
  )
}

async function unpack(tar: Buffer, opts: { gzip?: boolean; expect?: string } = {}) {
  const dir = freshDir()
  const body = opts.gzip === false ? tar : gzipSync(tar)
  const r = await unpackLayer(chunked(body), dir, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', expectedDiffID: opts.expect })
  return { dir, diff: join(dir, 'diff'), r }
}

async function rebuilt(dir: string): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of assembleTar(dir)) parts.push(Buffer.from(c))
  return Buffer.concat(parts)
}

const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex') // cap_net_bind_service, binary

t.test('ownership, modes, links, devices, fifos, xattrs and mtimes are kept', async (t) => {
  const entries: TEntry[] = [
    { name: './', type: 'dir', mode: 0o755, mtime: 1_000_000 },
    { name: 'd/', type: 'dir', mode: 0o750, uid: 1000, gid: 1001, mtime: 1_100_000 },
    { name: 'd/suid', data: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0, mtime: 1_200_000 },
    { name: 'd/sgid', data: 'g', mode: 0o2711, uid: 1, gid: 2 },
    { name: 'sticky/', type: 'dir', mode: 0o1777 },
    { name: 'd/link', type: 'symlink', linkname: '/etc/passwd', uid: 5, gid: 6, mtime: 1_300_000 },
    { name: 'd/hard', type: 'hardlink', linkname: 'd/suid' },
    { name: 'fifo', type: 'fifo', mode: 0o640, uid: 7, gid: 8 },
    { name: 'null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 },
    { name: 'loop9', type: 'block', mode: 0o660, devmajor: 7, devminor: 9, gid: 6 },
    {
      name: 'ping',
      data: 'elf',
      mode: 0o755,
      pax: { 'SCHILY.xattr.security.capability': cap, 'SCHILY.xattr.user.note': 'hello', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' },
    },
    { name: `${'long/'.repeat(30)}name.txt`, data: 'deep' },
  ]
  const tar = buildTar(entries)
  const { diff, r } = await unpack(tar, { expect: sha256(tar) })
  t.equal(r.diffID, sha256(tar), 'DiffID is the sha256 of the uncompressed tar')
  t.equal(r.compression, 'gzip')

  const st = (p: string) => lstatSync(join(diff, p))
  t.equal(st('d').mode & 0o7777, 0o750, 'dir mode')
  t.same([st('d').uid, st('d').gid], [1000, 1001], 'dir owner')
  t.equal(st('d').mtime.getTime(), 1_100_000_000, 'dir mtime set after its entries were created')
  t.equal(st('.').mtime.getTime(), 1_000_000_000, 'root ("./") mtime')
  t.equal(st('d/suid').mode & 0o7777, 0o4755, 'setuid kept (chmod after chown)')
  t.equal(st('d/suid').mtime.getTime(), 1_200_000_000, 'file mtime')
  t.equal(st('d/sgid').mode & 0o7777, 0o2711, 'setgid kept')
  t.same([st('d/sgid').uid, st('d/sgid').gid], [1, 2])
  t.equal(st('sticky').mode & 0o7777, 0o1777, 'sticky bit kept')
  t.ok(st('d/link').isSymbolicLink())
  t.equal(readlinkSync(join(diff, 'd/link')), '/etc/passwd', 'absolute symlink target kept as text')
  t.same([st('d/link').uid, st('d/link').gid], [5, 6], 'symlink owner (lchown)')
  t.equal(st('d/link').mtime.getTime(), 1_300_000_000, 'symlink mtime (lutimes)')
  t.equal(st('d/hard').ino, st('d/suid').ino, 'hard link shares the inode')
  t.ok(st('fifo').isFIFO(), 'fifo')
  t.equal(st('fifo').mode & 0o7777, 0o640)
  t.ok(st('null').isCharacterDevice(), 'char device')
  t.equal(st('null').rdev, 0x103, 'char device 1:3')
  t.ok(st('loop9').isBlockDevice(), 'block device')
  t.equal(st('loop9').rdev, 0x709, 'block device 7:9')
  t.same(lgetxattr(join(diff, 'ping'), 'security.capability'), cap, 'binary security.capability kept byte for byte')
  t.equal(lgetxattr(join(diff, 'ping'), 'user.note')?.toString(), 'hello', 'user xattr kept')
  t.equal(lgetxattr(join(diff, 'ping'), 'trusted.overlay.redirect'), undefined, "a layer's own trusted.overlay.* xattrs are not applied")
  t.equal(readFileSync(join(diff, 'long/'.repeat(30) + 'name.txt'), 'utf8'), 'deep', 'PAX long path')
})

/** A POSIX ACL xattr value (version 2): [tag, perm, id] entries. */
function aclXattr(entries: [number, number, number][]): Buffer {
  const b = Buffer.alloc(4 + 8 * entries.length)
  b.writeUInt32LE(2, 0)
  entries.forEach(([tag, perm, id], i) => {
    b.writeUInt16LE(tag, 4 + 8 * i)
    b.writeUInt16LE(perm, 6 + 8 * i)
    b.writeUInt32LE(id, 8 + 8 * i)
  })
  return b
}
const ACL_USER_OBJ = 0x01
const ACL_GROUP_OBJ = 0x04
const ACL_OTHER = 0x20
const UNDEFINED_ID = 0xffffffff
/** A default ACL u::rwx,g::---,o::--- : new inodes below get no group/other bits, whatever the umask. */
const privateAcl = aclXattr([
  [ACL_USER_OBJ, 7, UNDEFINED_ID],
  [ACL_GROUP_OBJ, 0, UNDEFINED_ID],
  [ACL_OTHER, 0, UNDEFINED_ID],
])

// The writer skips chown/chmod when the kernel already gave a new inode the entry's owner and mode
// (umask, setgid directories, default ACLs decide what the kernel gives): every such case must still
// end with exactly the entry's owner and mode.
t.test("owners and modes are exact whatever the kernel's own choice (umask, setgid directories, default ACLs)", async (t) => {
  const entries: TEntry[] = [
    { name: 'plain', data: 'x', mode: 0o644 },
    { name: 'open', data: 'x', mode: 0o777 },
    { name: 'none', data: 'x', mode: 0o000 },
    { name: 'opendir/', type: 'dir', mode: 0o777 },
    { name: 'sg/', type: 'dir', mode: 0o2775, uid: 0, gid: 1234 },
    { name: 'sg/same-group', data: 'x', mode: 0o644, gid: 1234 },
    { name: 'sg/root-group', data: 'x', mode: 0o644, gid: 0 },
    { name: 'sg/link', type: 'symlink', linkname: 'same-group', gid: 0 },
    { name: 'sg/sub/', type: 'dir', mode: 0o755, gid: 1234 },
    { name: 'sg/sgsub/', type: 'dir', mode: 0o2755, gid: 1234 },
    { name: 'sg/implicit/file', data: 'x', mode: 0o600, gid: 1234 },
    // A directory stops being setgid when a later entry describes it again without the bit.
    { name: 'sg2/', type: 'dir', mode: 0o2755, gid: 55 },
    { name: 'sg2/', type: 'dir', mode: 0o755, gid: 55 },
    { name: 'sg2/f', data: 'x', mode: 0o644, gid: 0 },
    { name: 'acl/', type: 'dir', mode: 0o755, pax: { 'SCHILY.xattr.system.posix_acl_default': privateAcl } },
    { name: 'acl/f', data: 'x', mode: 0o644 },
    { name: 'acl/d/', type: 'dir', mode: 0o755 },
    { name: 'acl/implicit/f', data: 'x', mode: 0o644 },
  ]
  const tar = buildTar(entries)
  const check = (t: Test, diff: string, aclOn: boolean) => {
    const st = (p: string) => lstatSync(join(diff, p))
    const is = (p: string, mode: number, uid: number, gid: number) => t.same([(st(p).mode & 0o7777).toString(8), st(p).uid, st(p).gid], [mode.toString(8), uid, gid], p)
    is('plain', 0o644, 0, 0)
    is('open', 0o777, 0, 0)
    is('none', 0o000, 0, 0)
    is('opendir', 0o777, 0, 0)
    is('sg', 0o2775, 0, 1234)
    is('sg/same-group', 0o644, 0, 1234)
    is('sg/root-group', 0o644, 0, 0)
    t.same([st('sg/link').uid, st('sg/link').gid], [0, 0], 'symlink in a setgid dir keeps its own group')
    is('sg/sub', 0o755, 0, 1234)
    is('sg/sgsub', 0o2755, 0, 1234)
    is('sg/implicit', 0o755, 0, 1234)
    is('sg/implicit/file', 0o600, 0, 1234)
    is('sg2/f', 0o644, 0, 0)
    if (aclOn) {
      is('acl/f', 0o644, 0, 0)
      is('acl/d', 0o755, 0, 0)
      is('acl/implicit', 0o755, 0, 0)
      is('acl/implicit/f', 0o644, 0, 0)
    }
  }
  // The file system of the temp dir may lack POSIX ACLs: the ACL cases then only run without them.
  const probe = freshDir()
  let aclOn = true
  try {
    lsetxattr(probe, 'system.posix_acl_default', privateAcl)
  } catch {
    aclOn = false
  }
  for (const umask of [0o022, 0o077, 0o000]) {
    const old = process.umask(umask)
    try {
      const { diff } = await unpack(tar, { expect: sha256(tar) })
      t.test(`umask ${umask.toString(8).padStart(3, '0')}`, async (t) => check(t, diff, aclOn))
    } finally {
      process.umask(old)
    }
  }
  // A default ACL the layer directory inherits from the store (the kernel ignores the umask there).
  if (aclOn) {
    const dir = freshDir()
    lsetxattr(dir, 'system.posix_acl_default', privateAcl)
    await unpackLayer(chunked(gzipSync(tar)), dir, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })
    t.test('under an inherited default ACL', async (t) => check(t, join(dir, 'diff'), true))
  } else {
    t.comment('POSIX ACLs not supported by the temp dir: ACL cases skipped')
  }
})

t.test('plain tar and zstd layers', async (t) => {
  const tar = buildTar([{ name: 'hello', data: 'world' }])
  const plain = await unpack(tar, { gzip: false })
  t.equal(plain.r.compression, 'none')
  t.equal(readFileSync(join(plain.diff, 'hello'), 'utf8'), 'world')
  const z = spawnSync('zstd', ['-q', '-c'], { input: tar })
  if (z.status !== 0) return t.skip('zstd not installed', () => {})
  const dir = freshDir()
  const r = await unpackLayer(chunked(z.stdout), dir, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', expectedDiffID: sha256(tar) })
  t.equal(r.compression, 'zstd')
  t.equal(readFileSync(join(dir, 'diff', 'hello'), 'utf8'), 'world', 'zstd layer unpacked through the zstd program')
})

t.test('whiteouts become 0:0 char devices, opaque markers an xattr, same-layer content wins', async (t) => {
  const tar = buildTar([
    { name: 'a/', type: 'dir' },
    { name: 'a/.wh.gone', data: '' },
    { name: 'o/new-before', data: '1' },
    { name: 'o/.wh..wh..opq', data: '' },
    { name: 'o/new-after', data: '2' },
    { name: 'same-before', data: 'kept' },
    { name: '.wh.same-before', data: '' },
    { name: '.wh.same-after', data: '' },
    { name: 'same-after', data: 'kept too' },
    { name: 'deep/er/.wh.x', data: '' },
    { name: 'a/.wh..wh.plnk', data: '' },
  ])
  const { diff } = await unpack(tar)
  const gone = lstatSync(join(diff, 'a/gone'))
  t.ok(gone.isCharacterDevice(), '.wh.gone -> character device "gone"')
  t.equal(gone.rdev, 0, 'numbered 0:0')
  t.equal(gone.mode & 0o7777, 0, 'mode 0000')
  t.notOk(existsSync(join(diff, 'a/.wh.gone')), 'no .wh. file left')
  t.equal(lgetxattr(join(diff, 'o'), 'trusted.overlay.opaque')?.toString(), 'y', 'opaque dir has trusted.overlay.opaque=y')
  t.same(readdirSync(join(diff, 'o')).sort(), ['new-after', 'new-before'], 'the opaque marker hides nothing of its own layer, whatever the order')
  t.equal(readFileSync(join(diff, 'same-before'), 'utf8'), 'kept', 'a whiteout after its name in the same layer is ignored')
  t.equal(readFileSync(join(diff, 'same-after'), 'utf8'), 'kept too', 'a name after its whiteout in the same layer replaces it')
  t.ok(lstatSync(join(diff, 'deep/er/x')).isCharacterDevice(), 'missing parents of a whiteout are created')
  t.same(readdirSync(join(diff, 'a')), ['gone'], 'AUFS .wh..wh. bookkeeping ignored')
})

t.test('an overlay of two unpacked layers shows the whiteouts working', async (t) => {
  const unshare = spawnSync('unshare', ['--mount', 'true'])
  if (unshare.status !== 0) return t.skip('cannot create a mount namespace here', () => {})
  const lower = buildTar([
    { name: 'a/', type: 'dir' },
    { name: 'a/file', data: 'lower' },
    { name: 'a/keep', data: 'keep' },
    { name: 'dir/', type: 'dir' },
    { name: 'dir/x', data: 'x' },
    { name: 'opq/', type: 'dir' },
    { name: 'opq/old', data: 'old' },
  ])
  for (const opaqueLast of [false, true]) {
    const upperEntries: TEntry[] = [
      { name: 'a/', type: 'dir' },
      { name: 'a/.wh.file', data: '' },
      { name: '.wh.dir', data: '' },
      { name: 'opq/', type: 'dir' },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'opq/new', data: 'new' },
    ]
    if (opaqueLast) upperEntries.push(upperEntries.splice(4, 1)[0])
    const l1 = await unpack(lower)
    const l2 = await unpack(buildTar(upperEntries))
    const mnt = join(work, `mnt-${++n}`)
    mkdirSync(mnt)
    // A private mount namespace: the mount disappears with the child, the host never sees it.
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t overlay overlay -o lowerdir=${l2.diff}:${l1.diff} ${mnt} && cd ${mnt} && find . | sort`], {
      encoding: 'utf8',
    })
    t.equal(r.status, 0, r.stderr)
    t.same(r.stdout.trim().split('\n'), ['.', './a', './a/keep', './opq', './opq/new'], `merged view (opaque marker ${opaqueLast ? 'after' : 'before'} opq/new)`)
    t.same(readdirSync(mnt), [], 'nothing mounted on the host')
  }
})

t.test('hostile layers are refused as a whole, naming the entry, writing nothing outside', async (t) => {
  const outside = join(work, 'outside')
  mkdirSync(outside)
  const cases: { what: string; entries: TEntry[]; entry: string }[] = [
    { what: '".." component', entries: [{ name: 'ok', data: 'x' }, { name: '../escape', data: 'x' }], entry: '../escape' },
    { what: 'hidden ".."', entries: [{ name: 'a/../../escape', data: 'x' }], entry: 'a/../../escape' },
    { what: 'absolute path', entries: [{ name: `${outside}/abs`, data: 'x' }], entry: `${outside}/abs` },
    {
      what: 'write through a symlinked parent',
      entries: [{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/pwned', data: 'x' }],
      entry: 'link/pwned',
    },
    {
      what: 'symlink chain',
      entries: [
        { name: 'd/', type: 'dir' },
        { name: 'd/up', type: 'symlink', linkname: '..' },
        { name: 'd/up2', type: 'symlink', linkname: 'up/..' },
        { name: 'd/up2/pwned', data: 'x' },
      ],
      entry: 'd/up2/pwned',
    },
    { what: 'hard link with ".."', entries: [{ name: 'h', type: 'hardlink', linkname: '../../etc/hostname' }], entry: 'h' },
    { what: 'hard link to an absolute path', entries: [{ name: 'h', type: 'hardlink', linkname: '/etc/hostname' }], entry: 'h' },
    {
      what: 'hard link through a symlinked parent',
      entries: [{ name: 's', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'hardlink', linkname: 's/hostname' }],
      entry: 'h',
    },
    { what: 'hard link to a missing file', entries: [{ name: 'h', type: 'hardlink', linkname: 'nothing' }], entry: 'h' },
    {
      what: 'whiteout through a symlinked parent',
      entries: [{ name: 's', type: 'symlink', linkname: outside }, { name: 's/.wh.victim', data: '' }],
      entry: 's/.wh.victim',
    },
    {
      what: 'opaque marker through a symlinked parent',
      entries: [{ name: 's', type: 'symlink', linkname: outside }, { name: 's/.wh..wh..opq', data: '' }],
      entry: 's/.wh..wh..opq',
    },
    {
      what: 'device node through a symlinked parent',
      entries: [{ name: 's', type: 'symlink', linkname: outside }, { name: 's/dev', type: 'char', devmajor: 1, devminor: 3 }],
      entry: 's/dev',
    },
  ]
  for (const c of cases) {
    const dir = freshDir()
    await t.rejects(
      unpackLayer(chunked(gzipSync(buildTar(c.entries))), dir, {}),
      { code: 'EUNSAFELAYER', message: new RegExp(`^entry ${JSON.stringify(c.entry).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`) },
      `${c.what}: refused, naming the entry`,
    )
    t.same(readdirSync(outside), [], `${c.what}: nothing written outside`)
  }
  t.same(lgetxattr(outside, 'trusted.overlay.opaque'), undefined, 'no xattr set outside')
})

t.test('bad streams are refused with a clear error', async (t) => {
  const tar = buildTar([{ name: 'f', data: 'x'.repeat(5000) }])
  await t.rejects(unpackLayer(chunked(gzipSync(tar)), freshDir(), { expectedDiffID: sha256(Buffer.from('other')) }), { code: 'EDIFFID' }, 'DiffID mismatch')
  const gz = gzipSync(tar)
  gz[gz.length - 6] ^= 0xff
  await t.rejects(unpackLayer(chunked(gz), freshDir(), {}), { code: 'EBADLAYER' }, 'corrupted gzip')
  await t.rejects(unpackLayer(chunked(tar.subarray(0, 2048), 100), freshDir(), {}), { code: 'EBADLAYER', message: /truncated/ }, 'truncated tar')
  await t.rejects(unpackLayer(chunked(Buffer.from('hello, not a tar'.repeat(64))), freshDir(), {}), { code: 'EBADLAYER' }, 'not a tar')
  await t.rejects(unpackLayer(chunked(Buffer.alloc(0)), freshDir(), {}), { code: 'EBADLAYER' }, 'empty stream')
  await t.rejects(unpackLayer(chunked(gzipSync(tar)), freshDir(), { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }), {
    message: /unsupported layer media type/,
  })
})

t.test('the original tar is rebuilt byte for byte from the unpacked layer (tar-split)', async (t) => {
  const tar = buildTar(
    [
      { name: 'etc/', type: 'dir' },
      { name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'etc/passwd', data: 'replaced by a later entry\n' },
      { name: 'etc/group', data: 'first' },
      { name: 'etc/group', type: 'symlink', linkname: 'passwd' },
      { name: 'x/', type: 'dir' },
      { name: 'x/inner', data: 'in a dir that a file replaces' },
      { name: 'x', data: 'now a file' },
      { name: 'hl', type: 'hardlink', linkname: 'etc/passwd' },
      { name: 'big', data: Buffer.alloc(300_000, 7) },
      { name: '.wh.lower', data: '' },
      { name: 'cap', data: 'c', pax: { 'SCHILY.xattr.security.capability': cap } },
    ],
    { trailingZeros: 4096 },
  )
  const { dir, diff } = await unpack(tar)
  t.equal(readFileSync(join(diff, 'etc/passwd'), 'utf8'), 'replaced by a later entry\n', 'the last entry of a name wins')
  t.equal(readFileSync(join(diff, 'x'), 'utf8'), 'now a file')
  const again = await rebuilt(dir)
  t.equal(again.length, tar.length, 'same length')
  t.ok(again.equals(tar), 'same bytes: headers, PAX records, content of replaced entries, padding, trailing zeros')
})

// The store unpacks in a worker thread (unpack-thread.ts): same result and errors as in-thread, the
// stream's own error when the download fails, and nothing written after the promise settled.
t.test('in the unpacking thread: same layer, errors by code, a failed download stops it before it settles', async (t) => {
  const entries: TEntry[] = [
    { name: 'a/', type: 'dir', mode: 0o755 },
    { name: 'a/f', data: 'hello', mode: 0o4755, uid: 3, gid: 4 },
    { name: 'a/l', type: 'symlink', linkname: 'f' },
    { name: 'big', data: Buffer.alloc(3 << 20, 7) },
    { name: 'dev', type: 'char', mode: 0o600, devmajor: 1, devminor: 3 },
  ]
  const tar = buildTar(entries)
  const gz = gzipSync(tar)
  const dir = freshDir()
  const events: string[] = []
  const stop = onTrace((e) => events.push(`${e.kind} ${e.op}`))
  const r = await unpackLayerInWorker(chunked(gz, 4096), dir, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', expectedDiffID: sha256(tar) })
  stop()
  t.equal(r.diffID, sha256(tar))
  t.equal(r.entries, entries.length)
  t.equal(lstatSync(join(dir, 'diff/a/f')).mode & 0o7777, 0o4755)
  t.same([lstatSync(join(dir, 'diff/a/f')).uid, lstatSync(join(dir, 'diff/a/f')).gid], [3, 4])
  t.equal(readFileSync(join(dir, 'diff/big')).length, 3 << 20)
  t.ok(lstatSync(join(dir, 'diff/dev')).isCharacterDevice())
  t.same(await rebuilt(dir), tar, 'tar-split written by the thread')
  t.ok(events.includes('fs mknod'), "the thread's trace events reach the main thread (--explain)")

  const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: any) => e.code)
  t.equal(await code(unpackLayerInWorker(chunked(Buffer.from('not gzip at all, not a tar either')), freshDir())), 'EBADLAYER', 'not a layer')
  t.equal(await code(unpackLayerInWorker(chunked(gzipSync(buildTar([{ name: '../evil', data: 'x' }]))), freshDir())), 'EUNSAFELAYER', 'escape refused')
  t.equal(await code(unpackLayerInWorker(chunked(gz), freshDir(), { expectedDiffID: `sha256:${'0'.repeat(64)}` })), 'EDIFFID', 'DiffID checked')
  t.equal(await code(unpackLayerInWorker(chunked(gz), freshDir(), { mediaType: 'text/plain' })), 'EUNSUPPORTEDMEDIA')

  // The download fails half way: the caller gets that very error, and the thread wrote its last
  // byte before: a directory removed right then stays removed.
  const failing = new Error('blob verification failed (test)')
  const half = new PassThrough()
  const target = freshDir()
  const p = unpackLayerInWorker(half, target)
  half.write(gz.subarray(0, gz.length >> 1))
  setTimeout(() => half.destroy(failing), 50)
  const got = await p.then(() => undefined, (e: unknown) => e)
  t.equal(got, failing, "the stream's own error")
  rmSync(target, { recursive: true, force: true })
  await new Promise((r) => setTimeout(r, 300))
  t.notOk(existsSync(target), 'nothing written after the promise settled')

  // An abort while streaming.
  const ac = new AbortController()
  const slow = new PassThrough()
  const q = unpackLayerInWorker(slow, freshDir(), { signal: ac.signal })
  slow.write(gz.subarray(0, 1000))
  setTimeout(() => ac.abort(new Error('stop (test)')), 50)
  t.match(await q.then(() => 'resolved', (e: Error) => e.message), /stop \(test\)/, 'abort rejects with its reason')
  slow.destroy()

  // Threads are reused: many small layers one after another, then in parallel.
  for (let i = 0; i < 5; i++) await unpackLayerInWorker(chunked(gzipSync(buildTar([{ name: `f${i}`, data: 'x' }]))), freshDir())
  const all = await Promise.all(Array.from({ length: 6 }, (_, i) => unpackLayerInWorker(chunked(gzipSync(buildTar([{ name: `p${i}`, data: 'y' }]))), freshDir())))
  t.equal(all.length, 6)
})

t.test('the unpacking thread starts from a process run with --input-type=module -e (it does not inherit that flag)', async (t) => {
  const thread = distPath('image/unpack/unpack-thread.js')
  const script = `
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
const { unpackLayerInWorker } = await import(${JSON.stringify(thread)})
const tar = Buffer.from(process.argv[2], 'base64')
const r = await unpackLayerInWorker(Readable.from([gzipSync(tar)]), process.argv[1])
process.stdout.write(r.entries + ' ' + readFileSync(process.argv[1] + '/diff/hello', 'utf8'))
`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, freshDir(), buildTar([{ name: 'hello', data: 'world' }]).toString('base64')], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, '1 world')
})
