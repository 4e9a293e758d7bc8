// The engine's image and system routes through raw HTTP on its socket, as any Docker API client
// sees them: pull as Docker's JSON message stream (with "Already exists" for a shared layer),
// list filters, inspect and history of names with slashes, tag, Docker's rmi conflict rules and
// Untagged/Deleted lists, save → load, prune, X-Registry-Auth and POST /auth against a registry
// with passwords, /events (live, since/until, filters), /info and /system/df values, _ping headers,
// create-time refusals (relative bind sources, bad log options). (rmi racing create: image-lock.test.ts.)
// Runs in a private network namespace (the engine and its containers stay there).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { existsSync, readFileSync } = await import('node:fs')
const { availableParallelism, totalmem } = await import('node:os')
const { engineTestBed } = await import('./harness.js')
const { api, apiStream } = await import('../../helpers/engine-api.js')
const { fixture, FIXTURE_TAG, pushFixture } = await import('../../helpers/fixtures.js')
const { push, startRegistry } = await import('../../helpers/registry.js')

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], 'tocker-images-api-')
t.teardown(cleanup)
const sock = env.socket
const BUSYBOX = ref('busybox')
const HTTPD = ref('httpd')
const REGISTRY = BUSYBOX.split('/')[0]
const q = encodeURIComponent
const pull = (name: string, headers?: Record<string, string>) => api(sock, 'POST', `/v1.43/images/create?fromImage=${q(name)}&tag=latest`, { headers })
const statuses = (lines: any[]) => lines.map((l) => (l.id ? `${l.id}: ${l.status}` : l.status ?? l.error))

t.test('_ping: "OK" with the headers clients negotiate with', async (t) => {
  const r = await api(sock, 'GET', '/_ping')
  t.equal(r.status, 200)
  t.equal(r.text, 'OK')
  t.equal(r.headers['api-version'], '1.43')
  t.equal(r.headers['docker-experimental'], 'false')
  t.equal(r.headers['ostype'], 'linux')
  t.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate')
  const head = await api(sock, 'HEAD', '/_ping')
  t.equal(head.status, 200)
  t.equal(head.text, '')
  t.equal(head.headers['api-version'], '1.43')
  t.equal((await api(sock, 'GET', '/v1.43/containers/json')).headers['api-version'], '1.43', 'every response carries it')
})

let busyboxId = ''

t.test("POST /images/create streams Docker's pull messages", async (t) => {
  const r = await pull(BUSYBOX)
  t.equal(r.status, 200)
  t.equal(r.headers['content-type'], 'application/json')
  const s = statuses(r.lines)
  t.equal(s[0], 'latest: Pulling from library/busybox')
  const layer = r.lines.find((l) => l.status === 'Pulling fs layer')
  t.ok(layer, 'a layer line')
  t.match(layer, { id: /^[0-9a-f]{12}$/, progressDetail: {} })
  const id = layer.id
  const mine = s.filter((x) => x.startsWith(`${id}: `)).map((x) => x.slice(14))
  t.same(mine.filter((x) => x !== 'Downloading' && x !== 'Waiting'), ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'])
  const dl = r.lines.find((l) => l.id === id && l.status === 'Downloading')
  t.ok(dl, 'a Downloading line')
  t.ok(dl.progressDetail.current > 0 && dl.progressDetail.total >= dl.progressDetail.current, 'with progressDetail current/total')
  t.match(dl.progress, /\[=*>\s*\]\s+\S+\/\S+/, 'and the rendered bar')
  t.match(s.at(-2), /^Digest: sha256:[0-9a-f]{64}$/)
  t.equal(s.at(-1), `Status: Downloaded newer image for ${BUSYBOX}:latest`)
  const again = await pull(BUSYBOX)
  t.equal(statuses(again.lines).at(-1), `Status: Image is up to date for ${BUSYBOX}:latest`)
  busyboxId = (await api(sock, 'GET', `/images/${BUSYBOX}/json`)).json.Id
  t.match(busyboxId, /^sha256:[0-9a-f]{64}$/)
})

t.test('a layer the store already has says "Already exists"', async (t) => {
  const r = await pull(HTTPD)
  const s = statuses(r.lines)
  t.ok(
    s.some((x) => /^[0-9a-f]{12}: Already exists$/.test(x)),
    `httpd shares its base layer with busybox: ${s.filter((x) => !x.includes('Downloading')).join(' | ')}`,
  )
  t.ok(s.some((x) => /: Pull complete$/.test(x)), 'and pulls the rest')
})

t.test('a pull that fails before any progress is an HTTP error; X-Registry-Auth and POST /auth', async (t) => {
  const missing = await pull(`${REGISTRY}/library/nope`)
  t.ok(missing.status >= 400, `status ${missing.status}`)
  t.match(missing.json.message, /manifest unknown|not found/)
  const bad = await api(sock, 'POST', `/images/create?fromImage=Busybox`)
  t.same([bad.status, bad.json.message], [400, 'invalid reference format: repository name (library/Busybox) must be lowercase'])

  const secured = await startRegistry({ auth: 'htpasswd', users: { alice: 'wonderland' } })
  t.teardown(() => secured.stop())
  await push(`oci:${await fixture('busybox')}:${FIXTURE_TAG}`, `${secured.addr}/private/box:latest`, { creds: { username: 'alice', password: 'wonderland' } })
  const name = `${secured.addr}/private/box`
  const anonymous = await pull(name)
  t.ok(anonymous.status >= 400, `without credentials: ${anonymous.status} ${anonymous.text.slice(0, 200)}`)
  const header = (u: string, p: string) => Buffer.from(JSON.stringify({ username: u, password: p, serveraddress: secured.addr })).toString('base64url')
  const wrong = await pull(name, { 'X-Registry-Auth': header('alice', 'nope') })
  t.ok(wrong.status >= 400, `wrong password: ${wrong.status}`)
  const ok = await pull(name, { 'X-Registry-Auth': header('alice', 'wonderland') })
  t.equal(statuses(ok.lines).at(-1), `Status: Downloaded newer image for ${name}:latest`)

  const login = await api(sock, 'POST', '/auth', { body: { username: 'alice', password: 'wonderland', serveraddress: secured.addr } })
  t.same([login.status, login.json], [200, { Status: 'Login Succeeded', IdentityToken: '' }])
  const refused = await api(sock, 'POST', '/auth', { body: { username: 'alice', password: 'nope', serveraddress: secured.addr } })
  t.equal(refused.status, 401)
  t.match(refused.json.message, /401|unauthorized/i)
  t.equal((await api(sock, 'DELETE', `/images/${name}`)).status, 200)
})

t.test('GET /images/json with filters; inspect and history of a name with slashes', async (t) => {
  const all = (await api(sock, 'GET', '/images/json')).json
  t.equal(all.length, 2)
  t.same(all.map((i: any) => i.RepoTags).sort(), [[`${BUSYBOX}:latest`], [`${HTTPD}:latest`]])
  const only = (await api(sock, 'GET', `/images/json?filters=${q(JSON.stringify({ reference: ['*/library/busy*'] }))}`)).json
  t.same(only.map((i: any) => i.Id), [busyboxId])
  const old = (await api(sock, 'GET', `/images/json?filters=${q(JSON.stringify({ reference: { '*/library/httpd': true } }))}`)).json
  t.equal(old.length, 1, 'the older map form of filters')
  t.same((await api(sock, 'GET', `/images/json?filters=${q(JSON.stringify({ dangling: ['true'] }))}`)).json, [])
  const badFilter = await api(sock, 'GET', `/images/json?filters=${q(JSON.stringify({ colour: ['red'] }))}`)
  t.same([badFilter.status, badFilter.json.message], [400, "invalid filter 'colour'"])

  const inspect = await api(sock, 'GET', `/v1.43/images/${BUSYBOX}:latest/json`)
  t.equal(inspect.status, 200)
  t.equal(inspect.json.Id, busyboxId)
  t.same(inspect.json.RepoTags, [`${BUSYBOX}:latest`])
  t.match(inspect.json.RepoDigests[0], new RegExp(`^${BUSYBOX.replace(/[.]/g, '\\.')}@sha256:`))
  t.equal(inspect.json.GraphDriver.Name, 'overlay2')
  t.ok(existsSync(inspect.json.GraphDriver.Data.UpperDir), 'the layer directory exists')
  const none = await api(sock, 'GET', '/images/nope/json')
  t.same([none.status, none.json.message], [404, 'No such image: nope:latest'])

  const history = (await api(sock, 'GET', `/images/${BUSYBOX}/history`)).json
  t.ok(history.length >= 1)
  t.equal(history[0].Id, busyboxId)
  t.same(history[0].Tags, [`${BUSYBOX}:latest`])
  t.ok(history.some((h: any) => h.Size > 0), 'the entry that made a layer has its size')
  t.ok(history.slice(1).every((h: any) => h.Id === '<missing>'))
})

t.test("tag, and DELETE with Docker's conflict rules and Untagged/Deleted lists", async (t) => {
  const tag = await api(sock, 'POST', `/images/${BUSYBOX}/tag?repo=mybox&tag=1`)
  t.same([tag.status, tag.text], [201, ''])
  t.equal((await api(sock, 'POST', `/images/${BUSYBOX}/tag?repo=Bad%20Name`)).status, 400)
  t.equal((await api(sock, 'POST', `/images/nope/tag?repo=x`)).status, 404)

  const short = busyboxId.slice(7, 19)
  const multi = await api(sock, 'DELETE', `/images/${short}`)
  t.same([multi.status, multi.json.message], [409, `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`])
  const untag = await api(sock, 'DELETE', '/images/mybox:1')
  t.same([untag.status, untag.json], [200, [{ Untagged: 'mybox:1' }]], 'one of several names: only untagged')

  const created = await api(sock, 'POST', '/containers/create?name=user', { body: { Image: BUSYBOX, Cmd: ['true'] } })
  t.equal(created.status, 201)
  const cid = created.json.Id.slice(0, 12)
  const used = await api(sock, 'DELETE', `/images/${BUSYBOX}`)
  t.same([used.status, used.json.message], [409, `conflict: unable to remove repository reference "${BUSYBOX}" (must force) - container ${cid} is using its referenced image ${short}`])
  const byId = await api(sock, 'DELETE', `/images/${busyboxId}`)
  t.same([byId.status, byId.json.message], [409, `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${cid}`])
  t.equal((await api(sock, 'DELETE', '/containers/user')).status, 204)

  const gone = await api(sock, 'DELETE', `/images/${BUSYBOX}`)
  t.equal(gone.status, 200)
  t.same(gone.json.slice(0, 2).map((x: any) => Object.keys(x)[0]), ['Untagged', 'Untagged'], 'the tag, then its digest reference')
  t.same(gone.json[0], { Untagged: `${BUSYBOX}:latest` })
  t.same(gone.json[2], { Deleted: busyboxId })
  t.equal(gone.json.length, 3, "busybox's only layer is shared with httpd: it stays")
  t.equal((await api(sock, 'GET', `/images/${BUSYBOX}/json`)).status, 404)
  t.equal((await api(sock, 'GET', `/images/${HTTPD}/json`)).status, 200, 'httpd still has all its layers')
})

t.test('GET /images/get → POST /images/load gives back the same image', async (t) => {
  await pull(BUSYBOX)
  const saved = await api(sock, 'GET', `/images/get?names=${q(BUSYBOX)}`)
  t.equal(saved.status, 200)
  t.equal(saved.headers['content-type'], 'application/x-tar')
  t.ok(saved.raw.length > 100_000, `${saved.raw.length} bytes`)
  const single = await api(sock, 'GET', `/images/${BUSYBOX}/get`)
  t.same(single.raw.length, saved.raw.length, 'the per-image route too')
  t.equal((await api(sock, 'GET', '/images/get?names=nope')).status, 404, 'a missing name is an error before the tar starts')
  await api(sock, 'DELETE', `/images/${BUSYBOX}`)

  const loaded = await api(sock, 'POST', '/images/load', { stream: saved.raw })
  t.equal(loaded.status, 200)
  t.equal(loaded.headers['content-type'], 'application/json')
  t.same(loaded.lines.filter((l) => l.stream).map((l) => l.stream), [`Loaded image: ${BUSYBOX}:latest\n`])
  t.equal((await api(sock, 'GET', `/images/${BUSYBOX}/json`)).json.Id, busyboxId, 'same image ID')
  const quiet = await api(sock, 'POST', '/images/load?quiet=1', { stream: saved.raw })
  t.same(quiet.lines, [{ stream: `Loaded image: ${BUSYBOX}:latest\n` }], 'quiet: the result only')
  const garbage = await api(sock, 'POST', '/images/load', { stream: Buffer.from('not a tar at all'.repeat(100)) })
  t.equal(garbage.status, 200, "moby's load answers 200 and says its error in the stream")
  t.match(garbage.lines.at(-1), { errorDetail: { message: /^invalid archive: / }, error: /^invalid archive: / })
})

t.test('prune: a dangling image goes, with the space it frees; stopped containers go', async (t) => {
  const moving = `${REGISTRY}/library/moving`
  await pushFixture(REGISTRY, 'httpd', 'library/moving:latest')
  await pull(moving)
  await api(sock, 'DELETE', `/images/${HTTPD}`) // now only "moving" names httpd's image
  await pushFixture(REGISTRY, 'busybox', 'library/moving:latest')
  await pull(moving) // the tag moves to busybox: httpd's image is left dangling
  const dangling = (await api(sock, 'GET', `/images/json?filters=${q(JSON.stringify({ dangling: ['true'] }))}`)).json
  t.equal(dangling.length, 1)
  t.same(dangling[0].RepoTags, [])
  const pruned = await api(sock, 'POST', '/images/prune')
  t.equal(pruned.status, 200)
  t.ok(pruned.json.ImagesDeleted.some((d: any) => d.Deleted === dangling[0].Id), JSON.stringify(pruned.json))
  t.ok(pruned.json.SpaceReclaimed > 0)
  t.same((await api(sock, 'POST', '/images/prune')).json, { ImagesDeleted: null, SpaceReclaimed: 0 })

  const c = await api(sock, 'POST', '/containers/create?name=stale', { body: { Image: BUSYBOX, Cmd: ['true'], Labels: { keep: 'no' } } })
  const kept = await api(sock, 'POST', '/containers/create?name=kept', { body: { Image: BUSYBOX, Cmd: ['true'], Labels: { keep: 'yes' } } })
  const p = await api(sock, 'POST', `/containers/prune?filters=${q(JSON.stringify({ label: ['keep=no'] }))}`)
  t.same(p.json, { ContainersDeleted: [c.json.Id], SpaceReclaimed: 0 })
  const rest = await api(sock, 'POST', '/containers/prune')
  t.same(rest.json.ContainersDeleted, [kept.json.Id])
  await api(sock, 'DELETE', `/images/${moving}`)
})

t.test('/events: live, replayed with since/until, filtered', async (t) => {
  const since = Math.floor(Date.now() / 1000) - 1
  const live = apiStream(sock, `/events?filters=${q(JSON.stringify({ type: ['image'] }))}`)
  t.equal(await live.ready, 200)
  await api(sock, 'POST', `/images/${BUSYBOX}/tag?repo=evt&tag=1`)
  const tagged = await live.waitFor((e) => e.Action === 'tag')
  t.match(tagged, { Type: 'image', Action: 'tag', status: 'tag', id: busyboxId, Actor: { ID: busyboxId, Attributes: { name: 'evt:1' } }, scope: 'local' })
  t.ok(Number.isInteger(tagged.time) && typeof tagged.timeNano === 'number', 'time and timeNano')
  await api(sock, 'DELETE', '/images/evt:1')
  await live.waitFor((e) => e.Action === 'untag')
  const created = await api(sock, 'POST', '/containers/create?name=evt', { body: { Image: BUSYBOX, Cmd: ['true'] } })
  await api(sock, 'POST', '/containers/evt/rename?name=evt2')
  await api(sock, 'DELETE', '/containers/evt2')
  live.close()
  t.notOk(live.items.some((e) => e.Type === 'container'), 'type=image: no container events')

  const until = Math.ceil(Date.now() / 1000) + 1
  const replay = await api(sock, 'GET', `/events?since=${since}&until=${until}&filters=${q(JSON.stringify({ container: [created.json.Id.slice(0, 12)] }))}`, { timeoutMs: 10_000 })
  t.same(
    replay.lines.map((e) => e.Action),
    ['create', 'rename', 'destroy'],
    'since/until: the past events, then the stream ends',
  )
  t.match(replay.lines[0], { Type: 'container', id: created.json.Id, from: BUSYBOX, Actor: { Attributes: { name: 'evt', image: BUSYBOX } } })
  t.match(replay.lines[1].Actor.Attributes, { name: 'evt2', oldName: '/evt' })
  const bad = await api(sock, 'GET', `/events?filters=${q(JSON.stringify({ nope: ['x'] }))}`)
  t.equal(bad.status, 400)
})

t.test('/info and /version say what is true here; /system/df adds it up', async (t) => {
  const info = (await api(sock, 'GET', '/info')).json
  const images = (await api(sock, 'GET', '/images/json')).json
  t.equal(info.Images, images.length)
  t.equal(info.Containers, 0)
  t.equal(info.NCPU, availableParallelism())
  t.equal(info.MemTotal, totalmem())
  t.equal(info.Driver, 'overlay2')
  t.equal(info.DockerRootDir, env.root)
  t.equal(info.CgroupDriver, 'cgroupfs')
  t.match(info.CgroupVersion, /^[12]$/)
  const pretty = /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
  t.equal(info.OperatingSystem, pretty)
  t.equal(info.KernelVersion, readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim())
  t.equal(info.ID, (await api(sock, 'GET', '/info')).json.ID, 'a stable engine ID')
  const version = (await api(sock, 'GET', '/version')).json
  t.match(version, { ApiVersion: '1.43', MinAPIVersion: '1.24', Os: 'linux', Components: [{ Name: 'Engine' }] })

  await api(sock, 'POST', '/containers/create?name=df', { body: { Image: BUSYBOX, Cmd: ['true'] } })
  const df = (await api(sock, 'GET', '/system/df')).json
  t.equal(df.Images.length, images.length)
  t.ok(df.LayersSize >= df.Images.reduce((n: number, i: any) => Math.max(n, i.Size), 0))
  t.equal(df.Containers.length, 1)
  t.match(df.Containers[0], { Names: ['/df'], SizeRw: 0 })
  t.equal(df.Images.find((i: any) => i.Id === busyboxId).Containers, 1)
  t.same(df.Volumes, [])
  await api(sock, 'DELETE', '/containers/df')
})

t.test("create refuses relative bind sources and bad log options, with Docker's messages", async (t) => {
  const create = (hc: object) => api(sock, 'POST', '/containers/create', { body: { Image: BUSYBOX, Cmd: ['true'], HostConfig: hc } })
  // A source that is not absolute is a volume's name, never a path relative to the engine's cwd.
  const rel = await create({ Binds: ['config.json:/x'] })
  t.equal(rel.status, 201, 'config.json is a volume name')
  const mounts = (await api(sock, 'GET', `/containers/${rel.json.Id}/json`)).json.Mounts
  t.match(mounts, [{ Type: 'volume', Name: 'config.json', Source: /\/volumes\/config\.json\/_data$/, Destination: '/x' }])
  await api(sock, 'DELETE', `/containers/${rel.json.Id}`)
  t.equal((await api(sock, 'DELETE', '/volumes/config.json')).status, 204)
  const slash = await create({ Binds: ['sub/dir:/x'] })
  t.same([slash.status, slash.json.message], [
    400,
    'create sub/dir: "sub/dir" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
  ])
  const dst = await create({ Binds: ['/tmp:relative'] })
  t.equal(dst.status, 400)
  const size = await create({ LogConfig: { Type: 'json-file', Config: { 'max-size': 'abc' } } })
  t.same([size.status, size.json.message], [400, "failed to initialize logging driver: invalid size: 'abc'"])
  const files = await create({ LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': 'abc' } } })
  t.same([files.status, files.json.message], [400, 'failed to initialize logging driver: strconv.Atoi: parsing "abc": invalid syntax'])
  const zero = await create({ LogConfig: { Type: 'json-file', Config: { 'max-file': '0' } } })
  t.same([zero.status, zero.json.message], [400, 'failed to initialize logging driver: max-file cannot be less than 1'])
  t.same((await api(sock, 'GET', '/containers/json?all=1')).json, [], 'nothing was created')
})

t.test('cleanup', async () => {
  await cleanup()
})
