// `save`'s tar writer (src/image/archive/tar-writer.ts) read back by another implementation (the
// `tar` package's parser): members, sizes, owner 0:0, mtime, padding, the end, and a name too long
// for USTAR (a PAX record, as Go's archive/tar writes it; it was refused before).
import { PassThrough } from 'node:stream'
import t from 'tap'
import { Parser } from 'tar'
import { TarWriter } from '../../../src/image/archive/tar-writer.js'

async function written(fill: (w: TarWriter) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await fill(new TarWriter(out, new Date('2024-05-06T07:08:09Z')))
  out.end()
  return Buffer.concat(chunks)
}

async function members(tar: Buffer): Promise<{ path: string; type: string; size: number; mode: number; uid: number; gid: number; mtime: number; data: string }[]> {
  const out: { path: string; type: string; size: number; mode: number; uid: number; gid: number; mtime: number; data: string }[] = []
  const p = new Parser()
  p.on('entry', (e) => {
    const data: Buffer[] = []
    e.on('data', (c: Buffer) => data.push(c))
    e.on('end', () => out.push({ path: e.path, type: e.type, size: e.size ?? 0, mode: e.mode ?? 0, uid: e.uid ?? -1, gid: e.gid ?? -1, mtime: e.mtime ? e.mtime.getTime() / 1000 : 0, data: Buffer.concat(data).toString() }))
  })
  await new Promise<void>((resolve, reject) => {
    p.on('end', resolve)
    p.on('error', reject)
    p.end(tar)
  })
  return out
}

t.test('directories, files and streamed files, as save writes them', async (t) => {
  const long = `blobs/sha256/${'a'.repeat(64)}/${'b'.repeat(200)}`
  const tar = await written(async (w) => {
    await w.dir('blobs')
    await w.file('index.json', Buffer.from('{"a":1}'))
    await w.stream(
      'blobs/sha256/x',
      5,
      (async function*() {
        yield Buffer.from('he')
        yield Buffer.from('llo')
      })(),
    )
    await w.file(long, Buffer.from('far'))
    await w.end()
  })
  t.equal(tar.length % 512, 0, 'whole blocks')
  t.ok(tar.subarray(-1024).every((b) => b === 0), 'two zero blocks at the end')
  const mtime = Date.parse('2024-05-06T07:08:09Z') / 1000
  t.same(await members(tar), [
    { path: 'blobs/', type: 'Directory', size: 0, mode: 0o755, uid: 0, gid: 0, mtime, data: '' },
    { path: 'index.json', type: 'File', size: 7, mode: 0o644, uid: 0, gid: 0, mtime, data: '{"a":1}' },
    { path: 'blobs/sha256/x', type: 'File', size: 5, mode: 0o644, uid: 0, gid: 0, mtime, data: 'hello' },
    { path: long, type: 'File', size: 3, mode: 0o644, uid: 0, gid: 0, mtime, data: 'far' },
  ])
})

t.test('a streamed member that does not match its announced size is an error', async (t) => {
  const chunks = (...s: string[]) =>
    (async function*() {
      for (const c of s) yield Buffer.from(c)
    })()
  await t.rejects(written((w) => w.stream('x', 3, chunks('abcd'))), { code: 'ETARWRITE', message: 'x: more than the 3 bytes announced' })
  await t.rejects(written((w) => w.stream('x', 3, chunks('ab'))), { code: 'ETARWRITE', message: 'x: 2 bytes instead of 3' })
})
