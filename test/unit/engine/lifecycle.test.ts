// The engine's lifecycle and state machine with a fake runtime (test/unit/fakes/runtime.ts): no
// root, no kernel, no processes. What the real runtime does is tested in test/integration/engine/ (root); here
// the engine's own logic: names, states and exit codes, stop's escalation, --rm, wait, removal,
// re-adoption by a restarted engine, logs, ps filters.
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Engine } from '../../../src/engine/engine.js'
import type { OutputSink } from '../../../src/engine/streams.js'
import { FakeRuntime, fakeImages } from '../fakes/runtime.js'

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs')

async function bed(t: Test, runtime = new FakeRuntime(), root = mkdtempSync(join(tmpdir(), 'tocker-unit-engine-'))) {
  const engine = new Engine({ root, runtime, images: fakeImages() })
  await engine.init()
  t.teardown(async () => {
    await engine.close()
    rmSync(root, { recursive: true, force: true })
  })
  return { engine, runtime, root }
}

/**
 * An engine on a store of its own, and `restart`: it closes (its containers keep running), `meanwhile`
 * happens, and a second engine starts on the same store and runtime.
 */
async function restartable(t: Test) {
  const runtime = new FakeRuntime()
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-engine-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const first = new Engine({ root, runtime, images: fakeImages() })
  await first.init()
  const restart = async (meanwhile: () => void = () => {}) => {
    await first.close()
    meanwhile()
    const second = new Engine({ root, runtime, images: fakeImages() })
    await second.init()
    t.teardown(() => second.close())
    return second
  }
  return { runtime, root, first, restart }
}

/** Resolves when `fn` is true (the engine records exits asynchronously), within a second. */
async function until(fn: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 5))
  if (!fn()) throw new Error(`timed out waiting for ${what}`)
}

function collect(): OutputSink & { text: () => string; streams: string[]; ended: boolean } {
  const chunks: Buffer[] = []
  const sink = {
    streams: [] as string[],
    ended: false,
    write(stream: string, data: Buffer) {
      sink.streams.push(stream)
      chunks.push(data)
    },
    end() {
      sink.ended = true
    },
    closed: new Promise<void>(() => {}),
    text: () => Buffer.concat(chunks).toString(),
  }
  return sink
}

t.test("create: the record, a name, Docker's conflicts and missing images", async (t) => {
  const { engine, runtime, root } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox', Cmd: ['echo', 'hi'], Env: ['A=1'] }, 'web')
  const c = engine.inspect('web')
  t.equal(c.Id, Id)
  t.equal(c.Name, '/web')
  t.equal(c.State.Status, 'created')
  t.same([c.Path, c.Args], ['echo', ['hi']])
  t.same(c.Config.Env, ['PATH=/usr/bin:/bin', 'A=1'], "the image's env, then the user's")
  t.ok(existsSync(join(root, 'containers', Id, 'container.json')), 'the record is on disk')
  t.same(runtime.calls, [`prepare ${Id.slice(0, 12)}`])
  await t.rejects(engine.create({ Image: 'busybox' }, 'web'), {
    status: 409,
    message: `Conflict. The container name "/web" is already in use by container "${Id}". You have to remove (or rename) that container to be able to reuse that name.`,
  })
  await t.rejects(engine.create({ Image: 'alpine' }), { status: 404, message: 'No such image: alpine:latest' })
  await t.rejects(engine.create({ Image: 'busybox' }, 'bad name'), { status: 400, message: /Invalid container name \(bad name\)/ })
  t.equal(engine.list({ all: true, filters: {} }).length, 1, 'failed creates leave nothing')
  t.equal(engine.find(Id.slice(0, 5)).Id, Id, 'a unique prefix of the ID finds it')
})

t.test('start, stop (SIGTERM → 143), restart; 304s', async (t) => {
  const { engine, runtime } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox' }, 'web')
  t.equal(await engine.start('web'), true)
  const running = engine.inspect('web').State
  t.equal(running.Status, 'running')
  t.ok(running.Pid > 0)
  t.equal(await engine.start('web'), false, 'already running: 304')
  t.equal(await engine.stop('web'), true)
  t.match(engine.inspect('web').State, { Status: 'exited', Running: false, ExitCode: 143, Pid: 0 })
  t.equal(await engine.stop('web'), false, 'not running: 304')
  await engine.restart('web')
  t.equal(engine.inspect('web').State.Status, 'running')
  const id = Id.slice(0, 12)
  // restart of a stopped container: nothing to stop, a new run.
  t.same(runtime.calls.filter((c) => !c.startsWith('prepare')), [`create ${id}`, `begin ${id}`, `signal ${id} 15`, `cleanup ${id}`, `create ${id}`, `begin ${id}`])
  await engine.restart('web')
  t.same(runtime.calls.slice(-4), [`signal ${id} 15`, `cleanup ${id}`, `create ${id}`, `begin ${id}`], 'restart of a running one: stop, then a new run')
})

t.test('stop escalates to SIGKILL after the timeout when SIGTERM is ignored (137)', async (t) => {
  const { engine, runtime } = await bed(t)
  runtime.ignored.add(15)
  await engine.create({ Image: 'busybox' }, 'stubborn')
  await engine.start('stubborn')
  const t0 = Date.now()
  await engine.stop('stubborn', 0)
  t.ok(Date.now() - t0 < 1000)
  t.equal(engine.inspect('stubborn').State.ExitCode, 137)
  t.match(runtime.calls.filter((c) => c.startsWith('signal')), [/ 15$/, / 9$/])
})

t.test('kill, wait, and the exit code of a program that ends by itself', async (t) => {
  const { engine, runtime } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox' }, 'job')
  await t.rejects(engine.kill('job', 'HUP'), { status: 409, message: `cannot kill container: job: container ${Id} is not running` })
  await engine.start('job')
  const w = engine.wait('job', 'not-running')
  await w.ready
  runtime.exit(Id, 3)
  t.same(await w.result, { StatusCode: 3, Error: null })
  t.match(engine.list({ all: true, filters: {} })[0], { State: 'exited', Status: /^Exited \(3\) / })
  await t.rejects(async () => engine.kill('job', 'NOPE'), { status: 400, message: 'Invalid signal: NOPE' })
})

t.test('rm: a running container only with force; everything goes, the name is free', async (t) => {
  const { engine, runtime, root } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox' }, 'web')
  await engine.start('web')
  await t.rejects(engine.remove('web', { force: false, volumes: false }), { status: 409, message: /^cannot remove container "\/web": container is running/ })
  await engine.remove('web', { force: true, volumes: false })
  t.throws(() => engine.find('web'), { status: 404, message: 'No such container: web' })
  t.notOk(existsSync(join(root, 'containers', Id)), 'its directory is gone')
  t.ok(runtime.calls.includes(`signal ${Id.slice(0, 12)} 9`), 'killed')
  t.same(runtime.calls.slice(-2), [`cleanup ${Id.slice(0, 12)}`, `destroy ${Id.slice(0, 12)}`], 'then cleaned up and destroyed')
  await engine.create({ Image: 'busybox' }, 'web')
  t.pass('the name can be used again')
})

t.test('--rm: the container is removed when it exits; wait --condition removed says so', async (t) => {
  const { engine, runtime } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, 'once')
  await engine.start('once')
  const w = engine.wait('once', 'removed')
  runtime.exit(Id, 0)
  t.same(await w.result, { StatusCode: 0, Error: null })
  t.equal(engine.list({ all: true, filters: {} }).length, 0)
})

t.test('rename, and names found with or without the leading slash', async (t) => {
  const { engine } = await bed(t)
  // Names with letters past f: a lookup also takes an ID prefix (as Docker's does), and a random
  // ID starting with 'aa' made find('aa') find it (a 1-in-256 flake, seen in CI).
  await engine.create({ Image: 'busybox' }, 'first')
  await engine.create({ Image: 'busybox' }, 'taken')
  await t.rejects(engine.rename('first', 'taken'), { status: 409, message: /^Error when allocating new name: Conflict\. The container name "\/taken" is already in use/ })
  await engine.rename('first', 'renamed')
  t.equal(engine.find('/renamed').Name, 'renamed')
  t.throws(() => engine.find('first'), { status: 404, message: 'No such container: first' })
})

t.test('a restarted engine adopts what still runs and records what ended meanwhile', async (t) => {
  const { runtime, first, restart } = await restartable(t)
  const ids = {} as Record<string, string>
  for (const name of ['keeps', 'ends', 'vanishes']) {
    ids[name] = (await first.create({ Image: 'busybox' }, name)).Id
    await first.start(name)
  }
  const second = await restart(() => {
    runtime.exit(ids.ends, 7)
    runtime.vanish(ids.vanishes)
  })
  t.equal(second.inspect('keeps').State.Status, 'running', 'adopted')
  t.match(second.inspect('ends').State, { Status: 'exited', ExitCode: 7 }, 'the exit recorded while the engine was away')
  t.match(second.inspect('vanishes').State, { Status: 'exited', ExitCode: 255, Error: /shim is gone/ }, "a shim that left no exit: Docker's 255")
  runtime.exit(ids.keeps, 0)
  await until(() => !second.inspect('keeps').State.Running, 'the adopted container to be seen exiting')
  t.equal(second.inspect('keeps').State.ExitCode, 0)
})

t.test('an engine killed in a start: a released gate is adopted as running, a waiting one is ended', async (t) => {
  // The record is written once the program runs (lifecycle.ts): an engine killed before that finds
  // the shim and PID 1 in the runtime's state (adoption.ts).
  const { runtime, first, restart } = await restartable(t)
  const { Id: released } = await first.create({ Image: 'busybox' }, 'released')
  const { Id: waiting } = await first.create({ Image: 'busybox' }, 'waiting')
  runtime.hangBegin = true
  void first.start('released') // the gate opens; the engine "dies" before it records the start
  await until(() => runtime.calls.includes(`begin ${released.slice(0, 12)}`), 'the gate released')
  await runtime.create(first.find('waiting')) // a start killed before begin: the gate waits
  const second = await restart(() => (runtime.hangBegin = false))
  t.match(second.inspect('released').State, { Status: 'running', Running: true }, 'released: adopted as running')
  t.ok(second.inspect('released').State.Pid > 0)
  t.equal(second.inspect('waiting').State.Status, 'created', 'waiting: still created')
  t.ok(runtime.calls.includes(`signal ${waiting.slice(0, 12)} 9`), 'its gate ended')
  t.notOk(runtime.hasState(second.find('waiting')), 'and cleaned up')
  runtime.exit(released, 3)
  await until(() => !second.inspect('released').State.Running, 'the adopted container to be seen exiting')
  t.equal(second.inspect('released').State.ExitCode, 3, 'its exit recorded')
})

t.test('rm -f marks the container "removing" on disk before its exit: an engine killed meanwhile, the next one finishes it', async (t) => {
  const { runtime, root, first, restart } = await restartable(t)
  const { Id } = await first.create({ Image: 'busybox' }, 'stuck')
  await first.start('stuck')
  runtime.ignored.add(9) // its exit never comes: the engine is "killed" while rm -f waits for it
  void first.remove('stuck', { force: true, volumes: false })
  await until(() => runtime.calls.includes(`signal ${Id.slice(0, 12)} 9`), 'the kill')
  t.equal(first.inspect('stuck').State.Status, 'removing', "Docker's status while it is removed")
  const second = await restart() // (the first one's close waits for the record writes under way: the mark among them)
  t.throws(() => second.find('stuck'), { status: 404, message: 'No such container: stuck' }, 'the removal was finished')
  t.notOk(existsSync(join(root, 'containers', Id)), 'its directory too')
})

t.test('logs: streams apart, --tail, -t with nine fractional digits, -f until the exit', async (t) => {
  const { engine, runtime } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox' }, 'talk')
  await engine.start('talk')
  const rec = engine.find('talk')
  runtime.output(rec, 'stdout', 'one\n', '2026-01-02T03:04:05.5Z')
  runtime.output(rec, 'stderr', 'two\n', '2026-01-02T03:04:06Z')
  runtime.output(rec, 'stdout', 'three\n')
  const all = collect()
  await engine.logs('talk', { follow: false, stdout: true, stderr: true, timestamps: false }, () => all)
  t.equal(all.text(), 'one\ntwo\nthree\n')
  t.same(all.streams, ['stdout', 'stderr', 'stdout'])
  t.ok(all.ended)
  const errOnly = collect()
  await engine.logs('talk', { follow: false, stdout: false, stderr: true, timestamps: true }, () => errOnly)
  t.equal(errOnly.text(), '2026-01-02T03:04:06.000000000Z two\n')
  const tail = collect()
  await engine.logs('talk', { follow: false, stdout: true, stderr: true, timestamps: false, tail: 1 }, () => tail)
  t.equal(tail.text(), 'three\n')
  await t.rejects(engine.logs('talk', { follow: false, stdout: false, stderr: false, timestamps: false }, () => collect()), { status: 400, message: 'Bad parameters: you must choose at least one stream' })
  const follow = collect()
  const following = engine.logs('talk', { follow: true, stdout: true, stderr: true, timestamps: false, tail: 0 }, () => follow)
  await new Promise((r) => setTimeout(r, 50))
  runtime.output(rec, 'stdout', 'four\n')
  await until(() => follow.text() === 'four\n', 'the new line to be followed')
  runtime.exit(Id, 0)
  await following
  t.ok(follow.ended, '-f ends when the container stops')
})

t.test('ps: only running unless -a; filters; newest first; limit', async (t) => {
  const { engine } = await bed(t)
  for (const name of ['aa', 'bb', 'cc']) {
    await engine.create({ Image: 'busybox', Labels: { tier: name === 'cc' ? 'front' : 'back' } }, name)
    await new Promise((r) => setTimeout(r, 2)) // distinct creation times
  }
  await engine.start('bb')
  t.same(engine.list({ all: false, filters: {} }).map((c) => c.Names[0]), ['/bb'])
  t.same(engine.list({ all: true, filters: {} }).map((c) => c.Names[0]), ['/cc', '/bb', '/aa'])
  t.same(engine.list({ all: false, filters: { status: ['created'] } }).map((c) => c.Names[0]), ['/cc', '/aa'], 'a status filter implies -a')
  t.same(engine.list({ all: true, filters: { label: ['tier=front'] } }).map((c) => c.Names[0]), ['/cc'])
  t.same(engine.list({ all: true, filters: { name: ['^/?(aa|bb)$'] } }).map((c) => c.Names[0]), ['/bb', '/aa'])
  t.same(engine.list({ all: false, limit: 1, filters: {} }).map((c) => c.Names[0]), ['/cc'], '-n 1 implies -a')
  t.same((await engine.top('bb')).Titles, ['PID', 'CMD'])
  await t.rejects(engine.top('aa'), { status: 409, message: /is not running/ })
})

t.test('--rm: its record is written without an fsync; one the crash of the previous boot cut short goes at the next start, as Docker removes such containers', async (t) => {
  // Spies on Node's FileHandle.datasync and fs.fdatasync (they call through): what the table asks
  // of the disk. The record is written at once and fdatasync'd on libuv's pool (writeNow).
  const probe = await open(process.execPath, 'r')
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> }
  await probe.close()
  const datasync = proto.datasync
  let syncs = 0
  proto.datasync = function(this: unknown) {
    syncs++
    return datasync.call(this)
  }
  const fdatasync = fs.fdatasync
  fs.fdatasync = ((...args: Parameters<typeof fs.fdatasync>) => {
    syncs++
    return fdatasync(...args)
  }) as typeof fs.fdatasync
  syncBuiltinESMExports() // (an ES module's `import { fdatasync } from 'node:fs'` sees the spy)
  t.teardown(() => {
    proto.datasync = datasync
    fs.fdatasync = fdatasync
    syncBuiltinESMExports()
  })
  const { root, first, restart } = await restartable(t)
  const once = await first.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, 'once')
  t.equal(syncs, 0, '--rm: create wrote its record without an fsync')
  const kept = await first.create({ Image: 'busybox' }, 'kept')
  t.equal(syncs, 1, 'any other container: the record is fsynced')
  const record = (id: string) => join(root, 'containers', id, 'container.json')
  const beforeBoot = new Date(bootTime() - 3600_000)
  const second = await restart(() => {
    // What a crash of the machine can leave of a record written without an fsync: nothing, or a part.
    writeFileSync(record(once.Id), '')
    utimesSync(record(once.Id), beforeBoot, beforeBoot)
  })
  t.same(second.list({ all: true, filters: {} }).map((c) => c.Names[0]), ['/kept'], 'the --rm container is gone, the other one stays')
  t.notOk(existsSync(join(root, 'containers', once.Id)), 'its directory too')
  t.equal(second.find(kept.Id).Name, 'kept')
})

function bootTime(): number {
  return Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]) * 1000
}

t.test('a restarted engine removes the --rm containers that do not run, as Docker does (daemon.restore); the others stay', async (t) => {
  const { root, runtime, first, restart } = await restartable(t)
  const created = await first.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, 'never-started')
  const running = await first.create({ Image: 'busybox', HostConfig: { AutoRemove: true } }, 'still-running')
  await first.start('still-running')
  await first.create({ Image: 'busybox' }, 'kept')
  const second = await restart()
  t.same(second.list({ all: true, filters: {} }).map((c) => c.Names[0]).sort(), ['/kept', '/still-running'], 'the created --rm one is gone; the running one stays (it goes at its exit)')
  t.notOk(existsSync(join(root, 'containers', created.Id)), 'its directory too')
  runtime.exit(running.Id, 0)
  await until(() => second.list({ all: true, filters: {} }).length === 1, 'the running --rm one to be removed at its exit')
})
