// The pull printer (Docker's JSON messages): plain lines when not on a terminal (progress updates left out, as Docker does),
// lines redrawn in place with Docker's progress bar on a terminal.
import { Readable } from 'node:stream'
import t from 'tap'
import { PullPrinter, progressBar } from '../../../src/cli/format/pull-progress.js'

function sink(isTTY: boolean, columns = 120) {
  const out = { text: '', isTTY, columns, write: (s: string) => (out.text += s) }
  return out
}

t.test('not a terminal: one line per status, no progress', async (t) => {
  const out = sink(false)
  const p = new PullPrinter(out)
  p.message({ status: 'Pulling from library/busybox', id: 'latest' })
  p.message({ id: 'aaaaaaaaaaaa', status: 'Pulling fs layer', progressDetail: {} })
  p.message({ id: 'aaaaaaaaaaaa', status: 'Downloading', progressDetail: { current: 10, total: 100 } })
  p.message({ id: 'aaaaaaaaaaaa', status: 'Pull complete', progressDetail: {} })
  p.line('Digest: sha256:x')
  t.equal(out.text, 'latest: Pulling from library/busybox\naaaaaaaaaaaa: Pulling fs layer\naaaaaaaaaaaa: Pull complete\nDigest: sha256:x\n')
})

t.test('terminal: each layer keeps its line, redrawn in place', async (t) => {
  const out = sink(true)
  const p = new PullPrinter(out)
  p.message({ id: 'a', status: 'Pulling fs layer', progressDetail: {} })
  p.message({ id: 'b', status: 'Pulling fs layer', progressDetail: {} })
  out.text = ''
  p.message({ id: 'a', status: 'Downloading', progressDetail: { current: 2_000_000, total: 4_000_000 } })
  t.equal(out.text, `\x1b[2A\r\x1b[2Ka: Downloading [${'='.repeat(25)}>${' '.repeat(25)}] ${'2MB'.padStart(8)}/4MB\r\x1b[2B`, 'cursor up two lines, rewrite, back down')
  out.text = ''
  p.message({ id: 'b', status: 'Pull complete', progressDetail: {} })
  t.equal(out.text, '\x1b[1A\r\x1b[2Kb: Pull complete\r\x1b[1B')
})

t.test("progress bar as Docker's JSONProgress draws it", async (t) => {
  t.equal(progressBar(0, 1000, 120), `[>${' '.repeat(50)}]       0B/1kB`)
  t.equal(progressBar(1000, 1000, 120), `[${'='.repeat(50)}>] ${'1kB'.padStart(8)}/1kB`)
  t.equal(progressBar(1_230_000, 4_560_000, 80), '  1.23MB/4.56MB', 'numbers only on narrow terminals')
})

t.test('a stream: split lines, "stream" text, an error message ends it as an error', async (t) => {
  const out = sink(false)
  const { displayJsonMessages } = await import('../../../src/cli/format/pull-progress.js')
  const lines = [
    '{"status":"Pulling from library/busybox","id":"latest"}',
    '{"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"x","id":"aa"}',
    '{"status":"Pull complete","progressDetail":{},"id":"aa"}',
    '{"stream":"Loaded image: busybox:latest\\n"}',
  ]
  await displayJsonMessages(Readable.from([Buffer.from(lines.join('\n').slice(0, 30)), Buffer.from(lines.join('\n').slice(30) + '\n')]), out)
  t.equal(out.text, 'latest: Pulling from library/busybox\naa: Pull complete\nLoaded image: busybox:latest\n')
  await t.rejects(displayJsonMessages(Readable.from([Buffer.from('{"errorDetail":{"message":"boom"},"error":"boom"}\n')]), sink(false)), { message: 'boom' })
})
