// `tocker cp`'s local rules, as the docker CLI's pkg/archive/copy.go has them: how a "CONTAINER:PATH"
// argument splits, where a copy lands and under what name (PrepareArchiveCopy), the tar entries'
// renaming (RebaseArchiveEntries), Go's human sizes; and the in-container stat's Go FileMode bits.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { splitCpArg } from '../../../src/cli/commands/cp.js'
import { copyInfoDestinationPath, extractTar, getRebaseName, humanSize, prepareArchiveCopy, rebaseName, splitPathDirEntry } from '../../../src/cli/cp-local.js'
import { absContainerPath, goFileMode } from '../../../src/engine/archive/in-root.js'

t.test('splitCpArg', async (t) => {
  t.same(splitCpArg('c1:/etc/hosts'), ['c1', '/etc/hosts'])
  t.same(splitCpArg('/abs:x'), ['', '/abs:x'], 'an absolute local path may hold a colon')
  t.same(splitCpArg('./file:name'), ['', './file:name'])
  t.same(splitCpArg('plain'), ['', 'plain'])
  t.same(splitCpArg('-'), ['', '-'])
})

t.test('paths: split, rebase names, trailing "/" and "/."', async (t) => {
  t.same(splitPathDirEntry('/a/b'), ['/a', 'b'])
  t.same(splitPathDirEntry('/a/b/'), ['/a', 'b'])
  t.same(splitPathDirEntry('/a/b/.'), ['/a/b', '.'])
  t.same(splitPathDirEntry('/'), ['/', '/'])
  t.same(getRebaseName('/x/link/', '/x/real'), ['/x/real/', 'link'])
  t.same(getRebaseName('/x/same', '/y/same'), ['/y/same', ''])
  t.equal(rebaseName('data/sub/b.txt', 'data', 'new'), 'new/sub/b.txt')
  t.equal(rebaseName('data/', 'data', 'new'), 'new/')
  t.equal(rebaseName('database', 'data', 'new'), 'database', 'only a whole first element')
  t.equal(rebaseName('./x', '.', 'dst'), 'dst/x')
  t.equal(rebaseName('/bin/sh', '/', 'root'), 'root/bin/sh', "a container's / ")
  t.equal(absContainerPath('etc/'), '/etc/')
  t.equal(absContainerPath('/etc/.'), '/etc/.')
  t.equal(absContainerPath('/a/../b'), '/b')
})

t.test("PrepareArchiveCopy: Docker's cases and errors", async (t) => {
  const file = { path: '/src/a.txt', exists: true, isDir: false, rebaseName: '' }
  const dir = { path: '/src/d', exists: true, isDir: true, rebaseName: '' }
  const existingDir = { path: '/dst/d', exists: true, isDir: true, rebaseName: '' }
  const existingFile = { path: '/dst/f', exists: true, isDir: false, rebaseName: '' }
  const missing = { path: '/dst/new', exists: false, isDir: false, rebaseName: '' }
  t.same(prepareArchiveCopy(file, existingDir), { dstDir: '/dst/d' })
  t.same(prepareArchiveCopy(file, existingFile), { dstDir: '/dst', rebase: ['a.txt', 'f'] })
  t.same(prepareArchiveCopy(dir, missing), { dstDir: '/dst', rebase: ['d', 'new'] })
  t.same(prepareArchiveCopy(file, missing), { dstDir: '/dst', rebase: ['a.txt', 'new'] })
  t.throws(() => prepareArchiveCopy(dir, existingFile), { message: 'cannot copy directory' })
  t.throws(() => prepareArchiveCopy(file, { ...missing, path: '/dst/new/' }), { message: 'no such directory' })
  t.same(prepareArchiveCopy({ ...dir, path: '/src/d/.' }, missing), { dstDir: '/dst', rebase: ['.', 'new'] })
})

t.test('human sizes as docker cp prints them; Go FileMode bits', async (t) => {
  t.equal(humanSize(512), '512B')
  t.equal(humanSize(2048), '2.05kB')
  t.equal(humanSize(10_240), '10.2kB')
  t.equal(humanSize(1_000_000), '1MB')
  const st = (mode: number) =>
    ({ mode, isDirectory: () => (mode & 0o170000) === 0o040000, isSymbolicLink: () => (mode & 0o170000) === 0o120000, isBlockDevice: () => false, isCharacterDevice: () => false, isFIFO: () => false, isSocket: () => false }) as never
  t.equal(goFileMode(st(0o040755)), 2 ** 31 + 0o755, 'ModeDir')
  t.equal(goFileMode(st(0o120777)), (1 << 27) + 0o777, 'ModeSymlink')
  t.equal(goFileMode(st(0o104755)), (1 << 23) + 0o755, 'ModeSetuid')
})

t.test("extracting the engine's tar here: no absolute names, no '..', nothing through a link", async (t) => {
  const { Header } = await import('tar')
  const dir = mkdtempSync(join(tmpdir(), 'tocker-cp-unit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const tarOf = (entries: { path: string; type: string; linkpath?: string; data?: string }[]) => {
    const blocks: Buffer[] = []
    for (const e of entries) {
      const data = Buffer.from(e.data ?? '')
      const h = new Header({ path: e.path, type: e.type, linkpath: e.linkpath, size: data.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 } as never)
      h.encode()
      blocks.push(h.block!, data, Buffer.alloc((512 - (data.length % 512)) % 512))
    }
    return Buffer.concat([...blocks, Buffer.alloc(1024)])
  }
  const run = async (sub: string, tar: Buffer) => {
    mkdirSync(join(dir, sub))
    await pipeline(Readable.from([tar]), await extractTar(join(dir, sub), (n) => n))
  }
  await run('ok', tarOf([{ path: 'a', type: 'SymbolicLink', linkpath: '/etc' }, { path: 'f', type: 'File', data: 'hi' }]))
  t.equal((await import('node:fs')).readlinkSync(join(dir, 'ok', 'a')), '/etc', 'an absolute link target kept as it is')
  await t.rejects(run('through', tarOf([{ path: 'a', type: 'SymbolicLink', linkpath: dir }, { path: 'a/pwned', type: 'File', data: 'x' }])), /is a symbolic link/)
  t.notOk((await import('node:fs')).existsSync(join(dir, 'pwned')), 'nothing written through the link')
  await t.rejects(run('dotdot', tarOf([{ path: '../up', type: 'File', data: 'x' }])), /"\.\." component/)
  writeFileSync(join(dir, 'marker'), '')
  t.same(copyInfoDestinationPath(join(dir, 'marker')), { path: join(dir, 'marker'), exists: true, isDir: false, rebaseName: '' })
  t.throws(() => copyInfoDestinationPath(join(dir, 'nope', 'x')), { message: `stat ${join(dir, 'nope')}: no such file or directory` })
})
