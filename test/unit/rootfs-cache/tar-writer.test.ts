// rootfs-cache's tar writer (the layers of the offline images and the test fixtures) writes its
// headers with tocker's one encoder (src/image/diff/tar-header.ts): the same bytes as a layer tocker
// builds, PAX headers named and ordered as Go's archive/tar writes them, binary xattrs kept byte for
// byte, and the names the hostile fixtures need written as given.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { type TarEntry, writeTar } from '../../../rootfs-cache/lib/tar-writer.mjs'
import { encodeHeader, END_OF_ARCHIVE, padding } from '../../../src/image/diff/tar-header.js'

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  await writeTar(entries, async (c) => void chunks.push(Buffer.from(c)))
  return Buffer.concat(chunks)
}

// A file capability (cap_net_raw+ep, VFS_CAP_REVISION_2): bytes that are not UTF-8.
const CAPABILITY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])

t.test('the headers are tocker encodeHeader bytes, PAX records as Go writes them', async (t) => {
  const long = `usr/share/${'d'.repeat(120)}/${'f'.repeat(90)}`
  const tar = await tarOf([
    { path: 'usr', type: 'dir', mtime: 7 },
    { path: 'bin/ping', type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime: 7, data: 'x', xattrs: { 'security.capability': CAPABILITY } },
    { path: 'z'.repeat(300), type: 'symlink', mtime: 7, linkname: 'T'.repeat(150) },
    { path: long, type: 'hardlink', mtime: 7, linkname: 'bin/ping' },
    { path: 'dev/null', type: 'char', mode: 0o666, mtime: 7, devmajor: 1, devminor: 3 },
  ])
  const expected = Buffer.concat([
    encodeHeader({ name: 'usr/', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 7, linkname: '' }),
    encodeHeader({ name: 'bin/ping', type: 'file', mode: 0o4755, uid: 0, gid: 0, size: 1, mtime: 7, linkname: '', xattrs: new Map([['security.capability', CAPABILITY]]) }),
    Buffer.from('x'),
    padding(1),
    encodeHeader({ name: 'z'.repeat(300), type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 7, linkname: 'T'.repeat(150) }),
    encodeHeader({ name: long, type: 'hardlink', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 7, linkname: 'bin/ping' }),
    encodeHeader({ name: 'dev/null', type: 'char', mode: 0o666, uid: 0, gid: 0, size: 0, mtime: 7, linkname: '', devmajor: 1, devminor: 3 }),
    END_OF_ARCHIVE,
  ])
  t.ok(tar.equals(expected), 'byte for byte')
  // Go's PAX header name and key order (linkpath before path), not a bare "PaxHeader".
  t.equal(tar.subarray(512, 512 + 21).toString('latin1'), 'bin/PaxHeaders.0/ping', 'the PAX header of bin/ping is named as Go names it')
  const text = tar.toString('latin1')
  t.ok(text.indexOf(' linkpath=T') < text.indexOf(' path=zzz'), 'linkpath before path')
  t.ok(tar.includes(Buffer.concat([Buffer.from(' SCHILY.xattr.security.capability='), CAPABILITY, Buffer.from('\n')])), 'the capability bytes unchanged')
})

t.test('GNU tar reads it back: long names, link targets, devices, hostile names as given', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tocker-rootfs-tar-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const tar = await tarOf([
    { path: `a/${'n'.repeat(130)}`, type: 'file', data: 'long' },
    { path: 'a/l', type: 'symlink', linkname: 'T'.repeat(150) },
    { path: 'a/é.txt', type: 'file', data: 'é' },
    { path: 'dev/sda', type: 'block', mode: 0o660, devmajor: 8, devminor: 0 },
    { path: '../escape', type: 'file', data: 'canary' },
  ])
  await writeFile(join(dir, 'x.tar'), tar)
  const { stdout } = await promisify(execFile)('tar', ['--numeric-owner', '-tvf', join(dir, 'x.tar')], { env: { ...process.env, LC_ALL: 'C.UTF-8' } })
  const lines = stdout.trim().split('\n')
  t.equal(lines.length, 5)
  t.match(lines[0], new RegExp(` a/${'n'.repeat(130)}$`))
  t.match(lines[1], new RegExp(` a/l -> ${'T'.repeat(150)}$`))
  t.match(lines[2], / a\/é\.txt$/)
  t.match(lines[3], /^brw-rw---- 0\/0 +8,0 .* dev\/sda$/)
  t.match(lines[4], / \.\.\/escape$/, 'the name is written as given, not cleaned')
})
