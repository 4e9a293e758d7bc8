// Fuzz target: the tar reader (PAX records, GNU long names and sparse headers, base-256 numbers,
// checksums, truncation). The first input byte picks the chunk size, so headers also arrive split.
// Besides "no unexpected exception": every byte written comes back once, as content or raw bytes.
import { expected } from './common.mjs'
const { TarReader, TarFormatError } = await import('../../../dist/src/image/unpack/tar-reader.js')

export function fuzz(data) {
  if (data.length === 0) return
  const chunk = 1 + (data[0] % 7 === 0 ? 100_000 : data[0] * 3)
  const input = data.subarray(1)
  let out = 0
  const r = new TarReader({ entry() {}, data: (c) => (out += c.length), endEntry() {}, raw: (c) => (out += c.length) })
  try {
    for (let off = 0; off < input.length; off += chunk) r.write(input.subarray(off, off + chunk))
    r.end()
  } catch (err) {
    expected(err, TarFormatError)
    return
  }
  if (out !== input.length) throw new Error(`the reader gave back ${out} bytes of ${input.length}`)
}
