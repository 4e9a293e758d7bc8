// The json-file reader (src/engine/logs.ts) on real files: --tail reads from the end (and costs the
// end only), torn lines are skipped and counted with the entry glued to them recovered, follow
// goes across rotations and ends when the container stops, and a slow client stops the reading
// (backpressure) instead of filling memory. No engine, no root needed.
import t from 'tap'
import { appendFileSync, existsSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { open } from 'node:fs/promises'
import { ATTACH_HOLD_AHEAD, parseLogLine, readLogEntries, streamLog, type LogEntry } from '../../../src/engine/logs.js'

const dir = mkdtempSync(join(tmpdir(), 'tocker-logs-unit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const line = (log: string, stream = 'stdout', time = '2026-01-01T00:00:01.5Z') => JSON.stringify({ log, stream, time }) + '\n'
const texts = (es: LogEntry[]) => es.map((e) => e.log)
let n = 0
const fresh = () => join(dir, `c${++n}-json.log`)
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Follow `path` from its end (attach's start) until exit(); `seen`: the texts delivered, in order. */
function follower(path: string) {
  const seen: string[] = []
  let exit!: () => void
  const exited = new Promise<void>((r) => (exit = r))
  const done = streamLog(path, { stdout: true, stderr: true, tail: 0 }, async (es) => void seen.push(...texts(es)), { exited, cancelled: new Promise(() => {}) })
  return { seen, exit, done }
}

t.test('tail N: the last N entries across rotated files; more than there is: everything', async (t) => {
  const path = fresh()
  writeFileSync(`${path}.2`, line('a\n') + line('b\n'))
  writeFileSync(`${path}.1`, line('c\n') + line('e1\n', 'stderr'))
  writeFileSync(path, line('d\n') + line('e2\n', 'stderr') + line('f\n') + '{"log":"unfinished')
  const all = { stdout: true, stderr: true }
  t.same(texts(await readLogEntries(path, { ...all, tail: 1 })), ['f\n'])
  t.same(texts(await readLogEntries(path, { ...all, tail: 4 })), ['e1\n', 'd\n', 'e2\n', 'f\n'])
  t.same(texts(await readLogEntries(path, { ...all, tail: 100 })), ['a\n', 'b\n', 'c\n', 'e1\n', 'd\n', 'e2\n', 'f\n'])
  t.same(texts(await readLogEntries(path, { stdout: false, stderr: true, tail: 2 })), ['e1\n', 'e2\n'], 'N counts the wanted stream only')
  t.same(texts(await readLogEntries(path, { stdout: true, stderr: false, tail: 3 })), ['c\n', 'd\n', 'f\n'])
  t.same(await readLogEntries(path, { ...all, tail: 0 }), [])
})

t.test('tail of lines longer than a read chunk, and a first line without a newline before it', async (t) => {
  const path = fresh()
  const big = 'x'.repeat(150_000) + '\n'
  writeFileSync(path, line(big) + line('small\n') + line(big) + line('last\n'))
  const all = { stdout: true, stderr: true }
  t.same(texts(await readLogEntries(path, { ...all, tail: 2 })), [big, 'last\n'])
  t.same(texts(await readLogEntries(path, { ...all, tail: 4 })), [big, 'small\n', big, 'last\n'])
})

t.test('torn lines: skipped at the next newline, counted, the entry glued to one is kept', async (t) => {
  const path = fresh()
  // What an ENOSPC-cut write left with the old shim: the torn entry, then the next entry on the same line.
  const torn = '{"log":"lost in the middle of a wri'
  writeFileSync(path, line('before\n') + torn + line('glued\n') + torn + '\n' + line('after\n'))
  const stats = { torn: 0 }
  t.same(texts(await readLogEntries(path, { stdout: true, stderr: true }, stats)), ['before\n', 'glued\n', 'after\n'])
  t.equal(stats.torn, 2, 'both torn lines counted')
  t.same(texts(await readLogEntries(path, { stdout: true, stderr: true, tail: 2 })), ['glued\n', 'after\n'], 'tail sees the glued entry too')
  // "{"log":" inside a log text is escaped, so it never looks like the start of an entry.
  t.same(parseLogLine(line('{"log":"not an entry"}')), { log: '{"log":"not an entry"}', stream: 'stdout', time: '2026-01-01T00:00:01.5Z' })
  t.equal(parseLogLine('{"log":"x","stream":"stdout","time":"t"} trailing'), undefined)
})

t.test('a line longer than 1 MiB is no entry: skipped without being held', async (t) => {
  const path = fresh()
  writeFileSync(path, line('one\n') + 'z'.repeat(3 << 20) + '\n' + line('two\n'))
  const stats = { torn: 0 }
  t.same(texts(await readLogEntries(path, { stdout: true, stderr: true }, stats)), ['one\n', 'two\n'])
  t.equal(stats.torn, 1)
  t.same(texts(await readLogEntries(path, { stdout: true, stderr: true, tail: 1 })), ['two\n'])
})

t.test('--tail 5 reads only the end: fast on 32 MB, and behind a 100 GB hole it never reads', async (t) => {
  const path = fresh()
  const chunk = Array.from({ length: 10_000 }, (_, i) => line(`line ${i} ${'.'.repeat(40)}\n`)).join('')
  writeFileSync(path, '')
  for (let i = 0; i < 32; i++) appendFileSync(path, chunk) // ~32 MB, 320k entries
  const expected = [9995, 9996, 9997, 9998, 9999].map((i) => `line ${i} ${'.'.repeat(40)}\n`)
  const t0 = process.hrtime.bigint()
  t.same(texts(await readLogEntries(path, { stdout: true, stderr: true, tail: 5 })), expected)
  t.comment(`tail 5 of a 32 MB log: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`)
  // A sparse file: 100 GB of zeros (no disk used), then the entries. Reading it all would take
  // minutes; the tail must not even notice it.
  const sparse = fresh()
  writeFileSync(sparse, '')
  truncateSync(sparse, 100 * 1024 ** 3)
  appendFileSync(sparse, chunk)
  const t1 = Date.now()
  t.same(texts(await readLogEntries(sparse, { stdout: true, stderr: true, tail: 5 })), expected)
  t.ok(Date.now() - t1 < 5000, `tail 5 behind a 100 GB hole in ${Date.now() - t1} ms`)
})

t.test('a slow client stops the reading: one chunk at a time, never the whole log in memory', async (t) => {
  const path = fresh()
  writeFileSync(path, Array.from({ length: 50_000 }, (_, i) => line(`${i}\n`)).join('')) // ~3 MB
  let chunks = 0
  let inFlight = 0
  let maxInFlight = 0
  let got = 0
  await streamLog(path, { stdout: true, stderr: true }, async (entries) => {
    chunks++
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    got += entries.length
    await new Promise((r) => setTimeout(r, 1))
    inFlight--
  })
  t.equal(got, 50_000)
  t.ok(chunks > 20, `delivered in ${chunks} chunks`)
  t.equal(maxInFlight, 1, 'the next chunk is read only after the client took the last one')
  // A client that goes away stops the reading at once.
  let calls = 0
  await streamLog(path, { stdout: true, stderr: true }, async () => (++calls, false))
  t.equal(calls, 1)
})

t.test('follow: new lines, a line written in two pieces, rotation, then the container stops', async (t) => {
  const path = fresh()
  writeFileSync(path, line('old\n'))
  const { seen, exit, done } = follower(path)
  await wait(100)
  appendFileSync(path, line('one\n'))
  const two = line('two\n')
  appendFileSync(path, two.slice(0, 10))
  await wait(100)
  appendFileSync(path, two.slice(10) + line('three\n'))
  await wait(100)
  // Rotation as the shim does it: rename, then a new file.
  renameSync(path, `${path}.1`)
  appendFileSync(`${path}.1`, line('four\n')) // written just before the rename took effect
  writeFileSync(path, line('five\n'))
  await wait(100)
  appendFileSync(path, line('six\n'))
  exit()
  await done
  t.same(seen, ['one\n', 'two\n', 'three\n', 'four\n', 'five\n', 'six\n'])
})

t.test('follow: a log name that cannot be read is an error, not a rotation (which re-read the oldest file)', async (t) => {
  const path = fresh()
  writeFileSync(`${path}.1`, line('rotated earlier\n'))
  writeFileSync(path, line('old\n'))
  const { seen, done } = follower(path) // the container never stops here
  await new Promise((r) => setTimeout(r, 100))
  // The name now fails to resolve (ELOOP here; EACCES or EIO on a damaged machine).
  renameSync(path, `${path}.moved`)
  symlinkSync(basename(path), path)
  await t.rejects(done, { code: 'ESTATE', message: /^cannot read the container's log .*: ELOOP/ })
  t.same(seen, [], 'nothing printed again')
})

// attach's follower walks the log's names for files to hold (holdNew); a name it cannot open stops
// the walk. That error was kept for a rotation seen on the file being read: an attach that began
// before the log existed never saw one, waited for files it could no longer hold, and ended at the
// exit as if everything had been read.
t.test('follow for attach: a log name the walk cannot open is reported, not waited past', async (t) => {
  const path = fresh() // not written yet: the container has not started
  symlinkSync(basename(path) + '.gone', `${path}.1`) // O_NOFOLLOW: ELOOP (EACCES, EMFILE on a damaged machine)
  let exit!: () => void
  const exited = new Promise<void>((r) => (exit = r))
  const done = streamLog(path, { stdout: true, stderr: true, tail: 0 }, async () => {}, { exited, cancelled: new Promise(() => {}), holdAhead: ATTACH_HOLD_AHEAD })
  setTimeout(exit, 100)
  await t.rejects(done, { code: 'ESTATE', message: /^cannot read the container's log .*: ELOOP/ })
})

t.test('follow: ends as soon as the container stopped (what was written before is delivered, no grace)', async (t) => {
  // The shim records the exit only after the log is whole, so follow has no reason to wait. The
  // best of 5 tries (the machine is shared: one try can be descheduled); a 50 ms grace failed it.
  let best = Infinity
  for (let i = 0; i < 5; i++) {
    const path = fresh()
    writeFileSync(path, line('before\n'))
    const { seen, exit, done } = follower(path)
    await new Promise((r) => setTimeout(r, 20))
    appendFileSync(path, line('last\n'))
    const t0 = performance.now()
    exit()
    await done
    best = Math.min(best, performance.now() - t0)
    t.same(seen, ['last\n'])
  }
  t.ok(best < 30, `follow ended ${best.toFixed(1)} ms after the exit (best of 5)`)
})

t.test('follow: a read that found the end before the last write, answered after the exit, is not the end', async (t) => {
  // The pool thread's pread returns 0 (the shim has not written its last line yet); before that
  // answer reaches the event loop, the shim writes the line and exit.json, and the engine records
  // the exit. The follower must look once more, not take that stale end for the last one.
  const path = fresh()
  writeFileSync(path, line('before\n'))
  const probe = await open(path, 'r')
  const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> }
  await probe.close()
  const read = proto.read
  let armed = false
  proto.read = async function(this: unknown, ...args: unknown[]) {
    const r = await read.apply(this, args)
    if (armed && r.bytesRead === 0) {
      armed = false
      appendFileSync(path, line('last\n'))
      exit()
      await new Promise((resolve) => setTimeout(resolve, 10)) // the exit is recorded before this answer comes
    }
    return r
  }
  t.teardown(() => void (proto.read = read))
  const { seen, exit, done } = follower(path)
  await new Promise((r) => setTimeout(r, 20)) // following, at the end of the file
  armed = true
  appendFileSync(path, line('middle\n')) // wakes the follower: it reads 'middle', then finds the end
  await done
  t.same(seen, ['middle\n', 'last\n'])
})

t.test('follow: a client that leaves ends it at once', async (t) => {
  const path = fresh()
  writeFileSync(path, line('x\n'))
  let cancel!: () => void
  const cancelled = new Promise<void>((r) => (cancel = r))
  const done = streamLog(path, { stdout: true, stderr: true }, async () => {}, { exited: new Promise(() => {}), cancelled })
  setTimeout(cancel, 50)
  const t0 = Date.now()
  await done
  t.ok(Date.now() - t0 < 1000)
})

/** `count` numbered lines of file number `f` appended to the log at `path`; their texts go to `expected`. */
function appendLines(path: string, f: number, count: number, expected: string[]): void {
  let text = ''
  for (let i = 0; i < count; i++) {
    const l = `f${f} line ${i}\n`
    expected.push(l)
    text += line(l)
  }
  appendFileSync(path, text)
}

/** attach's follower (holdAhead) of a new, empty log at `path`, for a slow client: `ms` per batch. */
function slowAttachFollower(path: string, ms: number) {
  writeFileSync(path, '')
  const seen: string[] = []
  let exit!: () => void
  const exited = new Promise<void>((r) => (exit = r))
  const done = streamLog(path, { stdout: true, stderr: true, tail: 0 }, async (es) => {
    seen.push(...texts(es))
    await wait(ms)
  }, { exited, cancelled: new Promise(() => {}), holdAhead: ATTACH_HOLD_AHEAD })
  return { seen, exit, done }
}

// A follower slower than the container (attach of `yes | head -c 3000000`: 75 MB of json lines)
// falls more than max-file rotations behind; the shim unlinks the oldest file, and what the
// follower had not read of it was lost (run printed 0.8-1.9 MB of the 3 MB). Each file is opened
// when it appears and held, so its data stays readable after the unlink.
t.test('follow for attach: a slow reader loses nothing when the writer rotates past max-file', async (t) => {
  const path = fresh()
  // A slow client: 20 ms per batch of entries.
  const { seen, exit, done } = slowAttachFollower(path, 20)
  await wait(50)
  // The shim's rotation with max-file 2: the oldest rotated file is unlinked, the current one
  // renamed to .1, a new one created. 12 files of 2000 lines, a pause for the event loop between.
  const expected: string[] = []
  for (let f = 0; f < 12; f++) {
    appendLines(path, f, 2000, expected)
    await wait(5)
    rmSync(`${path}.1`, { force: true })
    renameSync(path, `${path}.1`)
    writeFileSync(path, '')
    await wait(5)
  }
  exit()
  await done
  t.equal(seen.length, expected.length, 'every line arrived')
  t.same(seen, expected, 'in order, once each')
})

// An engine busy at load (a long turn, or descheduled) handles inotify's events after several
// rotations: the log's name then stands for a file two ahead, and holding only that one skipped
// the file between (`run` of `yes | head -c 3000000` printed 2,443,638 bytes: a whole rotated
// file lost, or 3,278,198: one read twice). Here the writer rotates twice in one turn of the
// event loop (logs.c's order with max-file 3: log.1 → log.2, log → log.1, a new log).
t.test('follow for attach: two rotations before the engine looks, nothing skipped or read twice', async (t) => {
  const path = fresh()
  const { seen, exit, done } = slowAttachFollower(path, 10)
  await wait(50)
  const rotate = () => {
    if (existsSync(`${path}.1`)) renameSync(`${path}.1`, `${path}.2`)
    renameSync(path, `${path}.1`)
    writeFileSync(path, '')
  }
  const expected: string[] = []
  const fill = (f: number) => appendLines(path, f, 500, expected)
  for (let f = 0; f < 12; f += 2) {
    // Two files written and rotated away in one turn: the events come after both.
    fill(f)
    rotate()
    fill(f + 1)
    rotate()
    await wait(30)
  }
  exit()
  await done
  t.equal(seen.length, expected.length, 'every line arrived, once')
  t.same(seen, expected, 'in order, once each')
})
