// The pull printer: plain lines when not on a terminal (progress updates left out, as Docker does),
// lines redrawn in place with Docker's progress bar on a terminal.
import t from 'tap'
import { PullPrinter, progressBar } from '../../src/cli/format/pull-progress.js'

function sink(isTTY: boolean, columns = 120) {
  const out = { text: '', isTTY, columns, write: (s: string) => (out.text += s) }
  return out
}

t.test('not a terminal: one line per status, no progress', async (t) => {
  const out = sink(false)
  const p = new PullPrinter(out)
  p.event({ kind: 'pulling', id: 'latest', path: 'library/busybox' })
  p.event({ kind: 'layer', id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' })
  p.event({ kind: 'layer', id: 'aaaaaaaaaaaa', status: 'Downloading', current: 10, total: 100 })
  p.event({ kind: 'layer', id: 'aaaaaaaaaaaa', status: 'Pull complete' })
  p.line('Digest: sha256:x')
  t.equal(out.text, 'latest: Pulling from library/busybox\naaaaaaaaaaaa: Pulling fs layer\naaaaaaaaaaaa: Pull complete\nDigest: sha256:x\n')
})

t.test('terminal: each layer keeps its line, redrawn in place', async (t) => {
  const out = sink(true)
  const p = new PullPrinter(out)
  p.event({ kind: 'layer', id: 'a', status: 'Pulling fs layer' })
  p.event({ kind: 'layer', id: 'b', status: 'Pulling fs layer' })
  out.text = ''
  p.event({ kind: 'layer', id: 'a', status: 'Downloading', current: 2_000_000, total: 4_000_000 })
  t.equal(out.text, `\x1b[2A\r\x1b[2Ka: Downloading [${'='.repeat(25)}>${' '.repeat(25)}] ${'2MB'.padStart(8)}/4MB\r\x1b[2B`, 'cursor up two lines, rewrite, back down')
  out.text = ''
  p.event({ kind: 'layer', id: 'b', status: 'Pull complete' })
  t.equal(out.text, '\x1b[1A\r\x1b[2Kb: Pull complete\r\x1b[1B')
})

t.test("progress bar as Docker's JSONProgress draws it", async (t) => {
  t.equal(progressBar(0, 1000, 120), `[>${' '.repeat(50)}]       0B/1kB`)
  t.equal(progressBar(1000, 1000, 120), `[${'='.repeat(50)}>] ${'1kB'.padStart(8)}/1kB`)
  t.equal(progressBar(1_230_000, 4_560_000, 80), '  1.23MB/4.56MB', 'numbers only on narrow terminals')
})
