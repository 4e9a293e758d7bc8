// gzip-members.ts (push's compression): one gzip member per 4 MiB block, compressed in parallel and
// written in order. What comes out must be one valid gzip file for every reader: Node's gunzip and
// GNU gzip read back exactly the input; the same input gives the same bytes; block edges, a tiny and
// an empty input; a failing source fails the output.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { BLOCK, gzipMembers } from '../../../src/image/gzip-members.js'

async function gz(chunks: Buffer[], parallel?: number): Promise<Buffer> {
  const out: Buffer[] = []
  for await (
    const b of gzipMembers(
      (async function*() {
        yield* chunks
      })(),
      parallel,
    )
  ) out.push(b)
  return Buffer.concat(out)
}

// Compressible but not trivial: random words.
function text(size: number): Buffer {
  const words = Array.from({ length: 500 }, () => randomBytes(4).toString('hex'))
  const parts: string[] = []
  let n = 0
  while (n < size) {
    const w = words[Math.floor(Math.random() * words.length)] + ' '
    parts.push(w)
    n += w.length
  }
  return Buffer.from(parts.join('')).subarray(0, size)
}

t.test('several blocks, odd chunk sizes: Node and GNU gzip read back the input', async (t) => {
  const input = text(BLOCK * 2 + 12345)
  const chunks: Buffer[] = []
  for (let at = 0; at < input.length;) {
    const n = Math.min(input.length - at, 1 + Math.floor(Math.random() * 3_000_000))
    chunks.push(input.subarray(at, at + n))
    at += n
  }
  const out = await gz(chunks, 3)
  t.ok(out.length < input.length / 2, 'compressed')
  t.ok(gunzipSync(out).equals(input), "Node's gunzip reads every member")
  const gnu = spawnSync('gzip', ['-dc'], { input: out, maxBuffer: 64 << 20 })
  t.equal(gnu.status, 0)
  t.ok(gnu.stdout.equals(input), 'GNU gzip too')
  t.ok((await gz([input], 2)).equals(out), 'the same bytes however the input was cut and however many at once')
})

t.test('exactly one block, a tiny input, an empty input', async (t) => {
  const one = text(BLOCK)
  t.ok(gunzipSync(await gz([one])).equals(one))
  t.equal(gunzipSync(await gz([Buffer.from('x')])).toString(), 'x')
  const empty = await gz([])
  t.ok(empty.length > 0 && gunzipSync(empty).length === 0, 'an empty input is an empty gzip file')
})

t.test('a source that fails fails the output', async (t) => {
  const failing = (async function*() {
    yield text(BLOCK + 10)
    throw new Error('disk gone')
  })()
  await t.rejects(async () => {
    for await (const _ of gzipMembers(failing)) void _
  }, /disk gone/)
})
