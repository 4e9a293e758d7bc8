// images / tag / rmi / image inspect / save / load through bin/tocker (built with `npx tsc -p .`),
// on a fresh --root per test, with the rootfs-cache images and the test fixtures as input. Output is
// compared with Docker's; failures must leave nothing in the store.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { chainIDs } from '../../../src/image/store.js'
import { Engines, tmpLeftovers } from '../../helpers/engines.js'
import { fixture, layoutInfo } from '../../helpers/fixtures.js'
import { REPO_ROOT } from '../../helpers/paths.js'

// The engines this file starts reconcile networking when they start: a private network namespace
// (tap is loaded only inside it: the parent must print nothing).
if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()
const { default: t } = await import('tap')

const repoRoot = REPO_ROOT
const bin = join(repoRoot, 'bin', 'tocker')
if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) {
  t.fail('build first: npx tsc -p .')
  process.exit(1)
}
const work = mkdtempSync(join(tmpdir(), 'tocker-image-cmd-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
let roots = 0
// The CLI asks the engine (the one owner of the store): one engine per fresh store.
const engines = new Engines()
t.teardown(() => engines.stopAll())
async function freshRoot(): Promise<string> {
  const root = join(work, `root-${++roots}`)
  await engines.start(root)
  return root
}

interface Run {
  code: number
  stdout: string
  stderr: string
}

function tocker(root: string, args: string[], input?: Buffer): Run {
  const r = spawnSync(process.execPath, [bin, '--root', root, ...args], { input, env: { ...process.env, NODE_OPTIONS: '', TOCKER_NO_AUTOSTART: '1' }, encoding: 'utf8', maxBuffer: 1 << 28 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** An OCI layout directory as a tar (optionally gzip'd), optionally without manifest.json. */
function layoutTar(layout: string, name: string, opts: { gzip?: boolean; dropDockerManifest?: boolean; annotate?: string } = {}): string {
  const dir = join(work, `layout-${name}`)
  rmSync(dir, { recursive: true, force: true })
  cpSync(layout, dir, { recursive: true })
  if (opts.dropDockerManifest) rmSync(join(dir, 'manifest.json'), { force: true })
  if (opts.annotate) {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))
    index.manifests[0].annotations = { 'io.containerd.image.name': opts.annotate, 'org.opencontainers.image.ref.name': 'latest' }
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index))
  }
  const out = join(work, `${name}.tar${opts.gzip ? '.gz' : ''}`)
  const members = readdirSync(dir)
  const r = spawnSync('tar', ['-C', dir, opts.gzip ? '-czf' : '-cf', out, ...members])
  if (r.status !== 0) throw new Error(String(r.stderr))
  return out
}

function storeContents(root: string) {
  const list = (d: string) => (existsSync(d) ? readdirSync(d) : [])
  const repos = join(root, 'repositories.json')
  return {
    layers: list(join(root, 'layers')).filter((n) => n !== 'l'),
    links: list(join(root, 'layers', 'l')),
    images: list(join(root, 'images')),
    tags: existsSync(repos) ? Object.keys(JSON.parse(readFileSync(repos, 'utf8'))) : [],
    tmp: tmpLeftovers(root),
  }
}

const TABLE_HEADER = /^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED {7,}SIZE$/

let busyboxTar: string
let httpdTar: string
let busybox: Awaited<ReturnType<typeof layoutInfo>>
let httpd: Awaited<ReturnType<typeof layoutInfo>>
t.before(async () => {
  const bb = await fixture('busybox')
  const hd = await fixture('httpd')
  busybox = await layoutInfo(bb)
  httpd = await layoutInfo(hd)
  // busybox as a pure OCI layout (no manifest.json), httpd as a gzip'd docker save-like archive.
  busyboxTar = layoutTar(bb, 'busybox', { dropDockerManifest: true })
  httpdTar = layoutTar(hd, 'httpd', { gzip: true })
})

t.test('load, images, tag, image inspect', async (t) => {
  const root = await freshRoot()
  let r = tocker(root, ['load', '-i', busyboxTar])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Loaded image: busybox:latest\n', 'OCI layout: name from io.containerd.image.name')
  r = tocker(root, ['load'], readFileSync(httpdTar))
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Loaded image: httpd:latest\n', "gzip'd archive on stdin")
  t.same(storeContents(root).layers.sort(), [...new Set([...busybox.diffIds!, ...httpd.diffIds!])].map((d) => d.slice(7)).sort(), 'the shared base layer is stored once')

  r = tocker(root, ['images'])
  t.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  t.match(lines[0], TABLE_HEADER, "Docker's header, columns padded as tabwriter does")
  t.equal(lines.length, 3)
  const idOf = (info: typeof busybox) => info.configDigest!.slice(7, 19)
  t.ok(lines.some((l) => new RegExp(`^busybox {6}latest {4}${idOf(busybox)} {3}\\S.* ago {3}\\d[\\d.]*[kM]?B$`).test(l)), lines.join('\n'))
  t.ok(lines.some((l) => l.startsWith('httpd        latest    ' + idOf(httpd))), lines.join('\n'))

  t.same(tocker(root, ['images', '-q']).stdout.trim().split('\n').sort(), [idOf(busybox), idOf(httpd)].sort(), '-q')
  t.match(tocker(root, ['images', '--no-trunc']).stdout, busybox.configDigest!, '--no-trunc shows the full ID')
  t.match(tocker(root, ['images', '--digests']).stdout.split('\n')[0], /^REPOSITORY {3}TAG {7}DIGEST {4}IMAGE ID/, '--digests adds a column')
  t.equal(tocker(root, ['images', '--format', '{{.Repository}}:{{.Tag}}', 'busy*']).stdout, 'busybox:latest\n', 'REPOSITORY pattern filter and --format')
  t.equal(tocker(root, ['images', 'httpd:latest', '-q']).stdout, idOf(httpd) + '\n')
  t.equal(tocker(root, ['images', 'nothing']).stdout.trimEnd().split('\n').length, 1, 'no match: the header only')
  t.equal(tocker(root, ['images', '-f', 'bogus=1']).code, 1, 'unknown filter refused')

  r = tocker(root, ['tag', 'busybox', 'lab/tools/bb:1.0'])
  t.equal(r.code, 0, r.stderr)
  t.ok(tocker(root, ['images']).stdout.includes(`lab/tools/bb   1.0       ${idOf(busybox)}`), 'the new tag is listed')
  r = tocker(root, ['tag', 'nosuch', 'x'])
  t.same([r.code, r.stderr], [1, 'Error response from daemon: No such image: nosuch:latest\n'])
  r = tocker(root, ['tag', 'busybox', 'Bad:Name'])
  t.equal(r.code, 1)
  t.match(r.stderr, /is not a valid repository\/tag: invalid reference format/)

  r = tocker(root, ['image', 'inspect', 'busybox'])
  t.equal(r.code, 0, r.stderr)
  const [doc] = JSON.parse(r.stdout)
  t.equal(doc.Id, busybox.configDigest)
  t.same(doc.RepoTags.sort(), ['busybox:latest', 'lab/tools/bb:1.0'])
  t.same(doc.RootFS, { Type: 'layers', Layers: busybox.diffIds })
  t.equal(doc.Os, 'linux')
  t.same(doc.Config.Cmd, ['sh'])
  t.equal(doc.GraphDriver.Name, 'overlay2', "Docker's name for the overlay driver")
  t.equal(doc.GraphDriver.Data.UpperDir, join(root, 'layers', busybox.diffIds![0].slice(7), 'diff'))
  t.ok(doc.Size > 0)
  t.equal(tocker(root, ['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', 'httpd']).stdout, 'linux/amd64\n', '--format')
  r = tocker(root, ['image', 'inspect', 'nosuch'])
  t.same([r.code, r.stdout, r.stderr], [1, '[]\n', 'Error: No such image: nosuch\n'])
})

t.test('rmi: Docker output, conflicts, shared layers collected with their last user', async (t) => {
  const root = await freshRoot()
  t.equal(tocker(root, ['load', '-i', busyboxTar]).code, 0)
  t.equal(tocker(root, ['load', '-i', httpdTar]).code, 0)
  t.equal(tocker(root, ['tag', 'busybox', 'mirror/busybox:1']).code, 0)
  const bbId = busybox.configDigest!
  let r = tocker(root, ['rmi', bbId.slice(7, 19)])
  t.same(
    [r.code, r.stderr],
    [1, `Error response from daemon: conflict: unable to delete ${bbId.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`],
    'by ID with tags in two repositories: refused',
  )
  r = tocker(root, ['rmi', 'mirror/busybox:1'])
  t.same([r.code, r.stdout], [0, 'Untagged: mirror/busybox:1\n'], 'another tag left: untag only')

  r = tocker(root, ['rmi', 'httpd'])
  t.equal(r.code, 0, r.stderr)
  const httpdChain = chainIDs(httpd.diffIds!)
  t.equal(r.stdout, `Untagged: httpd:latest\nDeleted: ${httpd.configDigest}\nDeleted: ${httpdChain[1]}\n`, "Docker's lines; the shared base layer stays")
  t.same(storeContents(root).layers, busybox.diffIds!.map((d) => d.slice(7)), "busybox's layer kept")

  r = tocker(root, ['image', 'rm', 'busybox', 'nosuch'])
  t.equal(r.code, 1, 'one failure: exit 1')
  t.equal(r.stdout, `Untagged: busybox:latest\nDeleted: ${bbId}\nDeleted: ${busybox.diffIds![0]}\n`)
  t.equal(r.stderr, 'Error response from daemon: No such image: nosuch:latest\n')
  const c = storeContents(root)
  t.same([c.layers, c.images, c.tags], [[], [], []], 'store empty once the last image went')
})

t.test('save -> load reproduces the same images; the archive is docker-archive and OCI layout at once', async (t) => {
  const root = await freshRoot()
  t.equal(tocker(root, ['load', '-i', busyboxTar]).code, 0)
  t.equal(tocker(root, ['load', '-i', httpdTar]).code, 0)
  const archive = join(work, 'saved.tar')
  let r = tocker(root, ['save', '-o', archive, 'busybox', 'httpd:latest'])
  t.equal(r.code, 0, r.stderr)
  t.same([r.stdout, r.stderr], ['', ''])
  const x = join(work, 'saved')
  mkdirSync(x)
  t.equal(spawnSync('tar', ['-C', x, '-xf', archive]).status, 0, 'a valid tar')
  t.same(readdirSync(x).sort(), ['blobs', 'index.json', 'manifest.json', 'oci-layout', 'repositories'])
  const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'))
  t.same(manifest.map((m: { RepoTags: string[] }) => m.RepoTags), [['busybox:latest'], ['httpd:latest']])
  for (const name of readdirSync(join(x, 'blobs', 'sha256'))) {
    const data = readFileSync(join(x, 'blobs', 'sha256', name))
    t.equal(createHash('sha256').update(data).digest('hex'), name, `blob ${name.slice(0, 12)} matches its name (layers are their exact original tars)`)
  }
  const index = JSON.parse(readFileSync(join(x, 'index.json'), 'utf8'))
  t.same(
    index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name']),
    ['docker.io/library/busybox:latest', 'docker.io/library/httpd:latest'],
  )
  const skopeo = spawnSync('skopeo', ['inspect', '--config', `oci:${x}:latest`], { encoding: 'utf8' })
  if (skopeo.status === null || skopeo.error) t.skip('skopeo not installed', () => {})
  else {
    // skopeo reads the OCI side (two images share the ref name "latest": ask by index entry instead).
    const s2 = spawnSync('skopeo', ['inspect', '--config', `docker-archive:${archive}:busybox:latest`], { encoding: 'utf8' })
    t.equal(s2.status, 0, `skopeo reads the docker-archive side: ${s2.stderr}`)
    if (s2.status === 0) t.same(JSON.parse(s2.stdout).rootfs.diff_ids, busybox.diffIds)
  }

  const root2 = await freshRoot()
  r = tocker(root2, ['load', '-i', archive])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'Loaded image: busybox:latest\nLoaded image: httpd:latest\n')
  t.same(
    tocker(root2, ['images', '--no-trunc', '--format', '{{.Repository}} {{.ID}}']).stdout.trim().split('\n').sort(),
    [`busybox ${busybox.configDigest}`, `httpd ${httpd.configDigest}`],
    'same image IDs after the round trip',
  )
  // By ID: no name in the archive, "Loaded image ID".
  const byId = join(work, 'byid.tar')
  t.equal(tocker(root, ['save', '-o', byId, busybox.configDigest!.slice(7, 19)]).code, 0)
  const root3 = await freshRoot()
  r = tocker(root3, ['load', '-i', byId])
  t.equal(r.stdout, `Loaded image ID: ${busybox.configDigest}\n`)
  // Loading again over a moved tag: Docker's rename notice.
  t.equal(tocker(root2, ['tag', 'httpd', 'busybox']).code, 0)
  r = tocker(root2, ['load', '-i', archive])
  t.match(r.stdout, `The image busybox:latest already exists, renaming the old one with ID ${httpd.configDigest} to empty string\n`)
  r = tocker(root, ['save', 'nosuch', '-o', join(work, 'never.tar')])
  t.same([r.code, r.stderr], [1, 'Error response from daemon: No such image: nosuch:latest\n'])
  t.notOk(existsSync(join(work, 'never.tar')), 'no archive left behind')
  t.same(readdirSync(work).filter((f) => f.startsWith('.tocker_save')), [], 'no temporary file left behind')
})

t.test('load of a multi-platform OCI layout takes the host platform', async (t) => {
  const root = await freshRoot()
  const r = tocker(root, ['load', '-i', layoutTar(await fixture('multiarch'), 'multiarch')])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^Loaded image ID: sha256:[0-9a-f]{64}\n$/, 'a bare "latest" ref name is no image name')
  const id = r.stdout.trim().split(' ').pop()!
  const [doc] = JSON.parse(tocker(root, ['image', 'inspect', id]).stdout)
  t.equal(doc.Architecture, 'amd64')
  t.equal(doc.RootFS.Layers.length, 2, 'the amd64 image (busybox + /etc/arch)')
})

t.test('load refuses bad archives and hostile layers, leaving nothing in the store', async (t) => {
  const root = await freshRoot()
  let r = tocker(root, ['load', '-i', join(work, 'missing.tar')])
  t.same([r.code, r.stderr], [1, `open ${join(work, 'missing.tar')}: no such file or directory\n`])
  const junk = join(work, 'junk.tar')
  writeFileSync(junk, 'this is not an archive\n'.repeat(100))
  r = tocker(root, ['load', '-i', junk])
  t.equal(r.code, 1)
  t.match(r.stderr, /^invalid archive: /)
  for (const name of ['hostile-dotdot', 'hostile-absolute', 'hostile-symlink', 'hostile-hardlink', 'hostile-symlink-chain'] as const) {
    r = tocker(root, ['load', '-i', layoutTar(await fixture(name), name)])
    t.equal(r.code, 1, `${name}: refused`)
    t.match(r.stderr, /^failed to register layer sha256:[0-9a-f]{64}: entry "[^"]+": /, `${name}: the error names the entry (${r.stderr.trim()})`)
  }
  t.same(storeContents(root), { layers: [], links: [], images: [], tags: [], tmp: [] }, 'nothing left in the store')
  t.notOk(existsSync('/tmp/pwned') || existsSync('/escape'), 'nothing written outside')
})
