// The tar reader against hostile and random input, without root: fast-check properties over
// generated archives (PAX records, GNU long names, base-256 numbers, arbitrary chunking) and over
// mutations of them, plus the hostile headers found so far. The properties that must always hold:
//   - a valid archive reads back exactly (entries, content) and every byte comes out once, in
//     order, either as content or as raw bytes (what tar-split and the DiffID rely on);
//   - any input either reads or fails with a TarFormatError (never another error, never a hang),
//     and the reader never hands out more bytes than it was given (the position never goes back).
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import fc from 'fast-check'
import t from 'tap'
import { MAX_META, parsePax, readNumber, TarFormatError, TarReader, type TarEntry } from '../../../src/image/unpack/tar-reader.js'
import { base256, buildTar, paxRecord, type TEntry } from '../../helpers/tar-builder.js'
import { distPath } from '../../helpers/paths.js'

interface ReadResult {
  entries: TarEntry[]
  contents: Buffer[]
  /** Bytes the reader gave back (content + raw), to compare with what went in. */
  out: number
  rebuilt: Buffer
}

/** Feed `tar` in chunks of the given sizes (cycled); collect what the reader reports. */
function read(tar: Buffer, chunkSizes: number[] = [tar.length || 1]): ReadResult {
  const entries: TarEntry[] = []
  const contents: Buffer[] = []
  const pieces: Buffer[] = []
  let current: Buffer[] = []
  let out = 0
  const reader = new TarReader({
    entry(e) {
      entries.push(e)
      current = []
    },
    data(c) {
      out += c.length
      current.push(Buffer.from(c))
      pieces.push(Buffer.from(c))
    },
    endEntry() {
      contents.push(Buffer.concat(current))
    },
    raw(c) {
      out += c.length
      pieces.push(Buffer.from(c))
    },
  })
  let off = 0
  for (let i = 0; off < tar.length; i++) {
    const n = Math.max(1, chunkSizes[i % chunkSizes.length])
    reader.write(tar.subarray(off, off + n))
    off += n
  }
  reader.end()
  return { entries, contents, out, rebuilt: Buffer.concat(pieces) }
}

/** Read, and require that a failure is a TarFormatError and that no byte came out twice. */
function readOrRefuse(tar: Buffer, chunks?: number[]): ReadResult | TarFormatError {
  try {
    const r = read(tar, chunks)
    if (r.out !== tar.length) throw new Error(`reader gave back ${r.out} bytes of ${tar.length}`)
    return r
  } catch (err) {
    if (err instanceof TarFormatError) return err
    throw err
  }
}

// ---- generators ----

const component = fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/).filter((s) => s !== '.' && s !== '..')
const name = fc.array(component, { minLength: 1, maxLength: 8 }).map((p) => p.join('/'))
const longName = fc.array(component, { minLength: 4, maxLength: 12 }).map((p) => p.join('/')) // often > 100 bytes
const entryArb: fc.Arbitrary<TEntry> = fc.record(
  {
    name: fc.oneof(name, longName),
    type: fc.constantFrom('file', 'dir', 'symlink', 'hardlink', 'fifo', 'char') as fc.Arbitrary<TEntry['type']>,
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.integer({ min: 0o10000000, max: 0xfffffffe })),
    gid: fc.integer({ min: 0, max: 65535 }),
    mtime: fc.integer({ min: 0, max: 2 ** 33 - 1 }),
    data: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
    linkname: fc.oneof(name, longName),
    devmajor: fc.integer({ min: 0, max: 4095 }),
    devminor: fc.integer({ min: 0, max: 65535 }),
    pax: fc.dictionary(fc.stringMatching(/^[a-z]{1,12}$/).map((k) => `SCHILY.xattr.user.${k}`), fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), { maxKeys: 3 }),
    gnuLong: fc.boolean(),
    base256: fc.subarray(['uid', 'gid', 'size', 'mtime'] as ('uid' | 'gid' | 'size' | 'mtime')[]),
  },
  { requiredKeys: ['name', 'type', 'mode', 'uid', 'gid', 'mtime', 'data', 'linkname', 'devmajor', 'devminor', 'pax', 'gnuLong', 'base256'] },
).map((e) => {
  // Octal fields cannot hold a uid past 7 digits: such an entry needs base-256 (as GNU tar does).
  if (e.uid! > 0o7777777 && !e.base256!.includes('uid')) e.base256 = [...e.base256!, 'uid']
  return e
})
const chunking = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 6 })

t.test('property: generated archives read back exactly, byte for byte, whatever the chunking', async (t) => {
  fc.assert(
    fc.property(fc.array(entryArb, { maxLength: 8 }), chunking, (entries, chunks) => {
      const tar = buildTar(entries)
      const r = read(tar, chunks)
      if (!r.rebuilt.equals(tar)) throw new Error('content + raw bytes differ from the input')
      if (r.entries.length !== entries.length) throw new Error(`${r.entries.length} entries read, ${entries.length} written`)
      entries.forEach((e, i) => {
        const got = r.entries[i]
        const want = {
          path: e.name,
          type: e.type,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: e.mtime,
          linkpath: e.type === 'symlink' || e.type === 'hardlink' || Buffer.byteLength(e.linkname!) <= 100 || e.gnuLong ? e.linkname : got.linkpath,
        }
        for (const [k, v] of Object.entries(want)) if ((got as any)[k] !== v) throw new Error(`entry ${i}: ${k} ${JSON.stringify((got as any)[k])} != ${JSON.stringify(v)}`)
        const content = e.type === 'file' ? Buffer.from(e.data!) : Buffer.alloc(0)
        if (!r.contents[i].equals(content)) throw new Error(`entry ${i}: content differs`)
        for (const [k, v] of Object.entries(e.pax!)) {
          if (!r.entries[i].xattrs.get(k.slice('SCHILY.xattr.'.length))?.equals(Buffer.from(v))) throw new Error(`entry ${i}: xattr ${k} lost`)
        }
      })
    }),
    { numRuns: 300 },
  )
  t.pass('300 archives')
})

t.test('property: mutated archives are read or refused with a TarFormatError, never a hang or a byte given twice', async (t) => {
  // Mutations aimed at what the reader trusts: numbers, the checksum kept right, PAX lengths.
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({
      kind: fc.constant('field' as const),
      block: fc.nat(),
      field: fc.constantFrom<[number, number]>([100, 8], [108, 8], [116, 8], [124, 12], [136, 12], [329, 8], [337, 8]),
      value: fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constantFrom(-1, -512, -1536, 2 ** 53, -(2 ** 53))),
      b256: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  )
  fc.assert(
    fc.property(fc.array(entryArb, { minLength: 1, maxLength: 4 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, (entries, mutations, chunks) => {
      let tar: Buffer = Buffer.from(buildTar(entries))
      for (const m of mutations) {
        if (tar.length < 512) break
        if (m.kind === 'byte') tar[m.at % tar.length] = m.value
        else if (m.kind === 'truncate') tar = tar.subarray(0, m.at % tar.length)
        else {
          const blocks = Math.floor(tar.length / 512)
          const at = (m.block % blocks) * 512
          const [off, width] = m.field
          if (m.b256 || m.value < 0) base256(m.value, width).copy(tar, at + off)
          else tar.write(m.value.toString(8).padStart(width - 1, '0').slice(-(width - 1)) + '\0', at + off, 'latin1')
          fixChecksum(tar, at)
        }
      }
      readOrRefuse(tar, chunks)
    }),
    { numRuns: 1500 },
  )
  t.pass('1500 mutated archives')
})

t.test('property: any 12-byte numeric field is a safe integer or a TarFormatError; encodings round-trip', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), (bytes) => {
      try {
        const v = readNumber(Buffer.from(bytes), 0, 12)
        if (!Number.isSafeInteger(v)) throw new Error(`unsafe ${v}`)
      } catch (err) {
        if (!(err instanceof TarFormatError)) throw err
      }
    }),
    { numRuns: 5000 },
  )
  fc.assert(
    fc.property(fc.maxSafeInteger(), (n) => {
      const b = base256(n, 12)
      if (readNumber(b, 0, 12) !== n) throw new Error(`base-256 ${n}`)
      if (n >= 0 && n < 8 ** 11) {
        const o = Buffer.from(n.toString(8).padStart(11, '0') + '\0', 'latin1')
        if (readNumber(o, 0, 12) !== n) throw new Error(`octal ${n}`)
      }
    }),
  )
  t.pass()
})

t.test('property: PAX bodies parse back, and random bodies are parsed or refused', async (t) => {
  const key = fc.stringMatching(/^[A-Za-z.]{1,20}$/)
  fc.assert(
    fc.property(fc.array(fc.tuple(key, fc.uint8Array({ maxLength: 300 })), { maxLength: 6 }), (records) => {
      const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, Buffer.from(v))))
      const got = parsePax(body)
      if (got.length !== records.length || got.some(([k, v], i) => k !== records[i][0] || !v.equals(Buffer.from(records[i][1])))) throw new Error('round trip')
    }),
  )
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), fc.stringMatching(/^[-+0-9 a-z=\n]{0,60}$/).map((s) => Buffer.from(s))), (body) => {
      try {
        parsePax(body)
      } catch (err) {
        if (!(err instanceof TarFormatError)) throw err
      }
    }),
    { numRuns: 5000 },
  )
  t.pass()
})

/** Rewrite a header's checksum so a mutation reaches the code behind the checksum test. */
function fixChecksum(tar: Buffer, at: number): void {
  if (at + 512 > tar.length) return
  tar.fill(0x20, at + 148, at + 156)
  let sum = 0
  for (let i = 0; i < 512; i++) sum += tar[at + i]
  tar.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 'latin1')
}

function hostile(entries: TEntry[]): Buffer {
  return buildTar(entries)
}

t.test('hostile headers are refused, naming the entry', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['PAX size=-1536 (moved the read position back: an endless loop)', hostile([{ name: 'evil', data: 'x', pax: { size: '-1536' } }]), /entry "evil" at byte 1024: PAX record size="-1536" is not a non-negative decimal integer/],
    ['PAX size in hex', hostile([{ name: 'f', data: 'x', pax: { size: '0x10' } }]), /size="0x10"/],
    ['PAX size with an exponent', hostile([{ name: 'f', data: 'x', pax: { size: '1e3' } }]), /size="1e3"/],
    ['PAX size with a blank', hostile([{ name: 'f', data: 'x', pax: { size: ' 1' } }]), /size=" 1"/],
    ['PAX size beyond 2^53', hostile([{ name: 'f', data: 'x', pax: { size: '9007199254740993' } }]), /size="9007199254740993"/],
    ['PAX uid negative', hostile([{ name: 'f', pax: { uid: '-1' } }]), /uid="-1"/],
    ['PAX uid past uid_t', hostile([{ name: 'f', pax: { uid: '4294967296' } }]), /owner 4294967296:0 out of range/],
    ['PAX mtime not a number', hostile([{ name: 'f', pax: { mtime: 'Infinity' } }]), /mtime="Infinity" is not a decimal time/],
    ['PAX path with a NUL', hostile([{ name: 'f', pax: { path: 'a\0b' } }]), /PAX record path contains a NUL byte/],
    ['PAX record length past its body', hostile([{ name: 'f', rawPax: Buffer.from('99 path=x\n') }]), /record length 99 at byte 0 does not fit its body/],
    ['PAX record length zero', hostile([{ name: 'f', rawPax: Buffer.from('0 a=b\n') }]), /bad record length/],
    ['PAX record length negative', hostile([{ name: 'f', rawPax: Buffer.from('-6 a=b\n') }]), /bad record length/],
    ['PAX record length in hex', hostile([{ name: 'f', rawPax: Buffer.from('0x7 a=\n') }]), /bad record length/],
    ['PAX record without a key', hostile([{ name: 'f', rawPax: Buffer.from('5 =x\n') }]), /has no key/],
    ['GNU sparse (PAX)', hostile([{ name: 'sparse', data: 'x', pax: { 'GNU.sparse.map': '0,1' } }]), /entry "sparse" .*GNU sparse file/],
    ['xattr value past 64 KiB', hostile([{ name: 'f', pax: { 'SCHILY.xattr.user.big': Buffer.alloc(65537) } }]), /extended attribute user\.big: 65537-byte value/],
    ['a name past PATH_MAX', hostile([{ name: 'a/'.repeat(2100) + 'b' }]), /name of 4201 bytes: longer than PATH_MAX/],
    ['a name component past NAME_MAX', hostile([{ name: 'x'.repeat(300) }]), /component longer than 255 bytes/],
    ['a symlink target past PATH_MAX', hostile([{ name: 'l', type: 'symlink', linkname: 'b/'.repeat(2100) }]), /link target of 4200 bytes/],
  ]
  for (const [what, tar, message] of cases) {
    t.throws(() => read(tar), { name: 'TarFormatError', message }, what)
  }

  // Header fields, written raw with a correct checksum.
  const field = (off: number, bytes: Buffer, entries: TEntry[] = [{ name: 'victim', data: 'hello' }]) => {
    const tar = Buffer.from(buildTar(entries))
    bytes.copy(tar, off)
    fixChecksum(tar, 0)
    return tar
  }
  const fields: [string, Buffer, RegExp][] = [
    ['base-256 size -1536', field(124, base256(-1536, 12)), /entry "victim" at byte 0: negative size -1536/],
    ['base-256 size past 2^53', field(124, Buffer.from([0x80, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0])), /entry "victim" at byte 0: size: base-256 number out of range/],
    ['base-256 uid negative', field(108, base256(-1, 8)), /negative uid -1/],
    ['base-256 with the sign byte 0x81', field(124, Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])), /base-256 number out of range/],
    ['octal with a letter', field(124, Buffer.from('0000000001x\0')), /size: bad octal number/],
    ['octal with garbage after a space', field(124, Buffer.from('00000001 77\0')), /bad octal number/],
    ['device number past 32 bits', field(329, base256(2 ** 33, 8), [{ name: 'dev', type: 'char' }]), /device number 8589934592:0 out of range/],
    ['a GNU long name past 1 MiB', gnuMeta('L', MAX_META + 1), /1048577-byte GNU long name/],
    ['a PAX header past 1 MiB', gnuMeta('x', MAX_META + 1), /1048577-byte PAX header/],
    ['PAX headers piling up past 2 MiB', Buffer.concat([gnuMeta('x', 900 << 10, false), gnuMeta('x', 900 << 10, false), gnuMeta('x', 900 << 10)]), /PAX headers adding up to more than 2097152 bytes/],
    ['an old GNU sparse member', field(156, Buffer.from('S')), /entry "victim" .*GNU sparse file/],
    ['an unknown type flag', field(156, Buffer.from('V')), /unsupported type flag "V"/],
  ]
  for (const [what, tar, message] of fields) {
    t.throws(() => read(tar), { name: 'TarFormatError', message }, what)
  }
  const checksum = Buffer.from(buildTar([{ name: 'f', data: 'x' }]))
  checksum[0] ^= 1
  t.throws(() => read(checksum), { name: 'TarFormatError', message: /at byte 0: checksum mismatch/ }, 'checksum mismatch, with the offset')
  const second = Buffer.from(buildTar([{ name: 'a', data: 'x' }, { name: 'b', data: 'y' }]))
  second.write('z', 1024 + 10) // inside the second header's name field
  t.throws(() => read(second), { message: /at byte 1024: checksum mismatch/ }, 'the offset of a later header')
})

/** A pseudo-member of `size` bytes of valid-looking records, optionally followed by a member and the end. */
function gnuMeta(type: 'L' | 'x', size: number, complete = true): Buffer {
  const head = Buffer.alloc(512)
  head.write('././@LongLink', 0, 'latin1')
  head.write('0000644\0', 100, 'latin1')
  head.write('0000000\0', 108, 'latin1')
  head.write('0000000\0', 116, 'latin1')
  head.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1')
  head.write('00000000000\0', 136, 'latin1')
  head.write(type, 156, 'latin1')
  head.write('ustar\0' + '00', 257, 'latin1')
  fixChecksum(head, 0)
  // A body of comment records ("<len> comment=aaa…\n"), so that it is valid PAX too.
  const body = Buffer.alloc(size + ((512 - (size % 512)) % 512))
  let off = 0
  while (size - off > 0) {
    const n = Math.min(size - off, 100_000)
    if (n < 20) {
      body.fill('a', off, size)
      break
    }
    const digits = String(n).length
    body.write(`${n} comment=`, off, 'latin1')
    body.fill('a', off + digits + 9, off + n - 1)
    body[off + n - 1] = 0x0a
    off += n
  }
  const parts: Buffer[] = [head, body]
  if (complete) parts.push(buildTar([{ name: 'next', data: 'x' }]))
  return Buffer.concat(parts)
}

t.test('truncation is detected wherever the stream stops', async (t) => {
  const tar = buildTar([{ name: 'a', data: 'x'.repeat(1000) }, { name: 'b'.repeat(150), data: 'y' }, { name: 'c', type: 'dir' }])
  // The end-of-archive blocks may be missing (Go tolerates that too); anything shorter is refused.
  const lastMember = tar.length - 1024
  let refused = 0
  for (let cut = 1; cut < lastMember; cut += 37) {
    const r = readOrRefuse(tar.subarray(0, cut))
    if (r instanceof TarFormatError) refused++
    else if (cut % 512 !== 0) t.fail(`cut at ${cut} was not refused`)
  }
  t.ok(refused > 40, `${refused} truncations refused`)
  t.throws(() => read(tar.subarray(0, 700)), { message: /inside the content of the member at byte 0, 812 bytes short/ })
  t.throws(() => read(tar.subarray(0, 300)), { message: /inside a header at byte 0/ })
})

t.test('regression: PAX size=-1536 on the old reader (bounded: a worker, killed after 5 s or 256 MB)', async (t) => {
  // The old reader looped forever with growing memory: run it where it can be stopped.
  const tar = buildTar([{ name: 'evil', data: 'x', pax: { size: '-1536' } }, { name: 'next', data: 'y' }])
  const outcome = await new Promise<string>((resolve) => {
    const w = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(workerData.url).then(({ TarReader }) => {
         const r = new TarReader({ entry() {}, data() {}, endEntry() {}, raw() {} })
         try { r.write(Buffer.from(workerData.tar)); r.end(); parentPort.postMessage('read') }
         catch (e) { parentPort.postMessage(e.name + ': ' + e.message) }
       })`,
      { eval: true, workerData: { url: pathToFileURL(distPath('image/unpack/tar-reader.js')).href, tar }, resourceLimits: { maxOldGenerationSizeMb: 256 } },
    )
    const timer = setTimeout(() => void w.terminate().then(() => resolve('still running after 5 s')), 5000)
    w.on('message', (m) => {
      clearTimeout(timer)
      void w.terminate()
      resolve(String(m))
    })
    w.on('error', (e) => {
      clearTimeout(timer)
      resolve(`worker died: ${e.message}`)
    })
  })
  t.match(outcome, /^TarFormatError: invalid tar entry "evil" at byte 1024: PAX record size="-1536"/)
})
