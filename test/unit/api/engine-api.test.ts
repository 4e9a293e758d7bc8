// The Docker Engine API as a client sees it, without root: the real API server (src/api: routes,
// schemas, error replies) on a unix socket in a temp dir, in front of a real Engine whose runtime
// backend is the recording fake (test/unit/fakes/runtime.ts) and whose image store is a real,
// empty one under the temp dir. Each subtest is one part of the contract a Docker client relies on:
// the status code and Docker's message for each outcome. The same paths through a real runtime
// are tested in test/integration/engine/ (root).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Engine } from '../../../src/engine/engine.js'
import { bed } from '../fakes/api-bed.js'
import { FakeRuntime, fakeImages } from '../fakes/runtime.js'

/** Resolves when `fn` is true (exits are recorded asynchronously), within 2 s. */
async function until(fn: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await fn()) return
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('POST /containers/create: 201 with the ID; 409 for a name in use; 404 for a missing image; 400 for a bad name', async (t) => {
  const { api } = await bed(t)
  const made = await api('POST', '/containers/create?name=web', { Image: 'busybox', Cmd: ['echo', 'hi'] })
  t.equal(made.status, 201)
  t.match(made.json, { Id: /^[0-9a-f]{64}$/, Warnings: [] })
  const again = await api('POST', '/containers/create?name=web', { Image: 'busybox' })
  t.same([again.status, again.json], [409, { message: `Conflict. The container name "/web" is already in use by container "${made.json.Id}". You have to remove (or rename) that container to be able to reuse that name.` }])
  const missing = await api('POST', '/containers/create', { Image: 'alpine' })
  t.same([missing.status, missing.json], [404, { message: 'No such image: alpine:latest' }])
  const bad = await api('POST', '/containers/create?name=bad%20name', { Image: 'busybox' })
  t.equal(bad.status, 400)
  t.match(bad.json.message, /^Invalid container name \(bad name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_\.-\] are allowed$/)
  const list = await api('GET', '/containers/json?all=1')
  t.equal(list.json.length, 1, 'the refused creates left nothing')
})

t.test('POST /containers/create: a body of the wrong shape is 400 naming the field, and nothing is made', async (t) => {
  const { api } = await bed(t)
  const r = await api('POST', '/containers/create', { Image: 'busybox', Cmd: 'echo hi', HostConfig: { Memory: 'lots' } })
  t.equal(r.status, 400)
  t.match(r.json.message, /Cmd|Memory/, 'the message names a wrong field')
  t.equal((await api('GET', '/containers/json?all=1')).json.length, 0)
})

t.test('GET /containers/{id}/json: by name, by ID prefix, 404 in Docker words', async (t) => {
  const { api, create } = await bed(t)
  const id = await create('web', { Cmd: ['sleep', '1'] })
  const byName = await api('GET', '/containers/web/json')
  t.equal(byName.status, 200)
  t.match(byName.json, { Id: id, Name: '/web', Path: 'sleep', Args: ['1'], State: { Status: 'created', Running: false }, Config: { Image: 'busybox' } })
  t.equal((await api('GET', `/containers/${id.slice(0, 6)}/json`)).json.Id, id, 'a unique prefix finds it')
  const missing = await api('GET', '/containers/nope/json')
  t.same([missing.status, missing.json], [404, { message: 'No such container: nope' }])
})

t.test('POST start: 204, then 304 when already running; stop: 204, then 304; the exit code of SIGTERM is 143', async (t) => {
  const { api, create } = await bed(t)
  await create('web')
  t.equal((await api('POST', '/containers/web/start')).status, 204)
  t.equal((await api('POST', '/containers/web/start')).status, 304)
  t.match((await api('GET', '/containers/web/json')).json.State, { Status: 'running', Running: true })
  t.equal((await api('POST', '/containers/web/stop?t=1')).status, 204)
  t.equal((await api('POST', '/containers/web/stop')).status, 304)
  t.match((await api('GET', '/containers/web/json')).json.State, { Status: 'exited', Running: false, ExitCode: 143 })
  t.equal((await api('POST', '/containers/nope/start')).status, 404)
})

t.test('POST kill: 409 when not running, 400 for a signal that does not exist, 204 and 128+n otherwise', async (t) => {
  const { api, create } = await bed(t)
  const id = await create('job')
  const notRunning = await api('POST', '/containers/job/kill')
  t.same([notRunning.status, notRunning.json], [409, { message: `cannot kill container: job: container ${id} is not running` }])
  await api('POST', '/containers/job/start')
  const bad = await api('POST', '/containers/job/kill?signal=NOPE')
  t.same([bad.status, bad.json], [400, { message: 'Invalid signal: NOPE' }])
  t.equal((await api('POST', '/containers/job/kill?signal=SIGHUP')).status, 204)
  await until(async () => (await api('GET', '/containers/job/json')).json.State.Running === false, 'the kill to end it')
  t.equal((await api('GET', '/containers/job/json')).json.State.ExitCode, 129, 'SIGHUP: 128+1')
})

t.test('POST wait: the exit code of a program that ends by itself', async (t) => {
  const { api, create, runtime } = await bed(t)
  const id = await create('job')
  await api('POST', '/containers/job/start')
  const waiting = api('POST', '/containers/job/wait')
  await new Promise((r) => setTimeout(r, 50))
  runtime.exit(id, 3)
  const r = await waiting
  t.equal(r.status, 200)
  t.match(r.json, { StatusCode: 3 })
  t.match((await api('GET', '/containers/json?all=1')).json[0], { State: 'exited', Status: /^Exited \(3\) / })
})

t.test('DELETE /containers/{id}: 409 while running, 204 with force; then 404; the name is free again', async (t) => {
  const { api, create, runtime } = await bed(t)
  const id = await create('web')
  await api('POST', '/containers/web/start')
  const refused = await api('DELETE', '/containers/web')
  t.equal(refused.status, 409)
  t.match(refused.json.message, /^cannot remove container "\/web": container is running: stop the container before removing or force remove$/)
  t.equal((await api('DELETE', '/containers/web?force=1')).status, 204)
  t.ok(runtime.calls.includes(`signal ${id.slice(0, 12)} 9`), 'killed with SIGKILL')
  t.same([(await api('GET', '/containers/web/json')).status, (await api('DELETE', '/containers/web')).status], [404, 404])
  await create('web')
  t.pass('the name can be used again')
})

t.test('POST rename: 204; 409 for a name in use; the old name is gone', async (t) => {
  const { api, create } = await bed(t)
  // Names that are no hex: "aa" is also an ID prefix, and found a container whose ID began with it.
  await create('ax')
  await create('bx')
  const clash = await api('POST', '/containers/ax/rename?name=bx')
  t.equal(clash.status, 409)
  t.match(clash.json.message, /^Error when allocating new name: Conflict\. The container name "\/bx" is already in use/)
  t.equal((await api('POST', '/containers/ax/rename?name=cx')).status, 204)
  t.equal((await api('GET', '/containers/cx/json')).json.Name, '/cx')
  t.equal((await api('GET', '/containers/ax/json')).status, 404)
})

t.test('POST restart: a stopped container runs again, a running one is stopped first', async (t) => {
  const { api, create, runtime } = await bed(t)
  const id = (await create('web')).slice(0, 12)
  t.equal((await api('POST', '/containers/web/restart?t=1')).status, 204)
  t.equal((await api('GET', '/containers/web/json')).json.State.Status, 'running')
  t.equal((await api('POST', '/containers/web/restart?t=1')).status, 204)
  t.same(runtime.calls.slice(-4), [`signal ${id} 15`, `cleanup ${id}`, `create ${id}`, `begin ${id}`])
})

t.test('AutoRemove (--rm): the container is gone once it exits', async (t) => {
  const { api, create, runtime } = await bed(t)
  const id = await create('once', { HostConfig: { AutoRemove: true } })
  await api('POST', '/containers/once/start')
  runtime.exit(id, 0)
  await until(async () => (await api('GET', '/containers/once/json')).status === 404, 'the container to be removed')
  t.same((await api('GET', '/containers/json?all=1')).json, [])
})

t.test('GET /containers/json: running only by default, all=1, filters; an unknown filter is 400', async (t) => {
  const { api, create } = await bed(t)
  await create('aa', { Labels: { tier: 'back' } })
  await create('bb', { Labels: { tier: 'front' } })
  await api('POST', '/containers/bb/start')
  const names = async (q: string) => (await api('GET', `/containers/json${q}`)).json.map((c: { Names: string[] }) => c.Names[0]).sort()
  t.same(await names(''), ['/bb'])
  t.same(await names('?all=1'), ['/aa', '/bb'])
  t.same(await names(`?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['tier=back'] }))}`), ['/aa'])
  t.same(await names(`?filters=${encodeURIComponent(JSON.stringify({ status: ['created'] }))}`), ['/aa'])
  const bad = await api('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ nope: ['x'] }))}`)
  t.equal(bad.status, 400)
  t.same(bad.json, { message: "invalid filter 'nope'" }, "Docker's words for a filter it does not know")
  const badStatus = await api('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ status: ['sleeping'] }))}`)
  t.same([badStatus.status, badStatus.json], [400, { message: 'Unrecognised filter value for status: sleeping' }])
})

t.test("GET /containers/{id}/logs: Docker's multiplexed frames (stream, size) for a container without a tty", async (t) => {
  const { api, create, engine, runtime } = await bed(t)
  await create('talk')
  await api('POST', '/containers/talk/start')
  const rec = engine.find('talk')
  runtime.output(rec, 'stdout', 'out\n')
  runtime.output(rec, 'stderr', 'err\n')
  const r = await api('GET', '/containers/talk/logs?stdout=1&stderr=1')
  t.equal(r.status, 200)
  t.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream')
  const frames: [number, string][] = []
  for (let at = 0; at < r.body.length;) {
    const size = r.body.readUInt32BE(at + 4)
    frames.push([r.body[at], r.body.subarray(at + 8, at + 8 + size).toString()])
    at += 8 + size
  }
  t.same(frames, [[1, 'out\n'], [2, 'err\n']], 'stdout is stream 1, stderr stream 2')
  const neither = await api('GET', '/containers/talk/logs')
  t.same([neither.status, neither.json], [400, { message: 'Bad parameters: you must choose at least one stream' }])
})

t.test('images on an empty store: [], and 404 in Docker words for inspect and rmi', async (t) => {
  const { api } = await bed(t)
  t.same((await api('GET', '/images/json')).json, [])
  const inspect = await api('GET', '/images/nope/json')
  t.same([inspect.status, inspect.json], [404, { message: 'No such image: nope:latest' }])
  const rmi = await api('DELETE', '/images/nope')
  t.same([rmi.status, rmi.json], [404, { message: 'No such image: nope:latest' }])
})

t.test('the daemon endpoints: _ping, version, an unknown path', async (t) => {
  const { api } = await bed(t)
  const ping = await api('GET', '/_ping')
  t.same([ping.status, ping.body.toString()], [200, 'OK'])
  t.match(ping.headers, { 'api-version': /^1\.\d+$/ })
  const version = await api('GET', '/v1.41/version')
  t.match(version.json, { Os: 'linux', ApiVersion: /^1\.\d+$/ })
  const unknown = await api('GET', '/no/such/endpoint')
  t.same([unknown.status, unknown.json], [404, { message: 'page not found' }])
})

t.test('a container record the engine cannot read stops it from starting: an error naming the file, never "no such container"', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-api-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const first = new Engine({ root, runtime: new FakeRuntime(), images: fakeImages() })
  await first.init()
  const { Id } = await first.create({ Image: 'busybox' }, 'web')
  await first.close()
  const record = join(root, 'containers', Id, 'container.json')
  writeFileSync(record, '{"Id": "torn')
  const second = new Engine({ root, runtime: new FakeRuntime(), images: fakeImages() })
  await t.rejects(second.init(), { code: 'ESTATE', message: new RegExp(`^cannot read the container record ${record}: `), hint: /Restore that file/ })
  await second.close()
  writeFileSync(record, JSON.stringify({ Id: 'f'.repeat(64), Name: '/web', State: {} }))
  const third = new Engine({ root, runtime: new FakeRuntime(), images: fakeImages() })
  await t.rejects(third.init(), { code: 'ESTATE', message: /not a container record/ }, 'a record of another container')
  await third.close()
  // A directory without a record: a create that died before its first write; skipped.
  rmSync(record)
  mkdirSync(join(root, 'containers', 'a'.repeat(64)))
  const fourth = new Engine({ root, runtime: new FakeRuntime(), images: fakeImages() })
  await fourth.init()
  t.same(fourth.list({ all: true, filters: {} }), [])
  await fourth.close()
})
