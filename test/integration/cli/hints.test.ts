// Learners' hints through a real engine, in English and Korean: a pull with no internet names the
// offline tarball of that very image (or lists the offline images), once; a typo'd container or
// image name gets "did you mean" the closest names that exist; exec of apt in a busybox-based image
// says there is no package manager and that vi is there. Docker's own line always comes first.
// Runs in a private network namespace: no DNS there, so Docker Hub cannot be resolved.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { tockerEnv } = await import('../engine/harness.js')
// @ts-ignore: plain JavaScript build script
const { buildRootfsCache, DEFAULT_OUT } = await import('../../../rootfs-cache/build.mjs')
// @ts-ignore
const { withLock, FIXTURES_DIR } = await import('../../helpers/layout-cache.mjs')
const { offlineImages, offlineImageFor } = await import('../../../src/cli/offline-images.js')

const built = await withLock(join(FIXTURES_DIR, '.lock-rootfs-cache'), () => buildRootfsCache({ outDir: DEFAULT_OUT, only: ['busybox', 'httpd-busybox'] }))
const env = await tockerEnv('tocker-hints-')
t.teardown(() => env.cleanup())
await env.startEngine()
for (const name of ['busybox', 'httpd-busybox']) await env.ok(['load', '-i', built[name].tarball])
const ko = { LANG: 'ko_KR.UTF-8' }
const C = { LANG: 'C' }

t.test('offline images: found by name in rootfs-cache/out (a layout beside each tarball)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-offline-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'web'))
  writeFileSync(
    join(dir, 'web', 'index.json'),
    JSON.stringify({ manifests: [{ annotations: { 'io.containerd.image.name': 'docker.io/library/httpd:latest' } }, { annotations: { 'io.containerd.image.name': 'docker.io/library/httpd:2.4' } }] }),
  )
  writeFileSync(join(dir, 'web.tar'), '')
  mkdirSync(join(dir, 'half-built')) // no tarball: not offered
  mkdirSync(join(dir, 'debs'))
  writeFileSync(join(dir, 'debs.tar'), '') // a tarball without a readable layout: not offered
  const images = offlineImages(dir)
  t.same(images, [{ names: ['httpd:latest', 'httpd:2.4'], tarball: join(dir, 'web.tar') }])
  t.equal(offlineImageFor('httpd:2.4', images)?.tarball, join(dir, 'web.tar'))
  t.equal(offlineImageFor('nginx:latest', images), undefined)
  t.same(offlineImages(join(dir, 'missing')), [])
})

t.test('a pull with no internet names the offline tarball of that image, once', async (t) => {
  const r = await env.tocker(['pull', 'busybox'], { env: C })
  t.equal(r.code, 1)
  const lines = r.stderr.trim().split('\n')
  t.match(lines[0], /^Error response from daemon: .*lookup registry-1\.docker\.io.*no such host$/, "Docker's line first")
  t.equal(
    lines[1],
    `Hint: the registry registry-1.docker.io could not be found (no internet?). busybox:latest is one of the offline images: load it with 'sudo tocker load -i ${built.busybox.tarball}'. Or set a mirror under "registry-mirrors" in /etc/tocker/daemon.json.`,
  )
  t.equal(lines.length, 2, 'the general no-internet hint is not printed as well')

  const k = await env.tocker(['pull', 'httpd:busybox'], { env: ko })
  const kl = k.stderr.trim().split('\n')
  t.match(kl[1], `httpd:busybox is one of the offline images: load it with 'sudo tocker load -i ${built['httpd-busybox'].tarball}'`)
  t.equal(
    kl[2],
    `힌트: 레지스트리 registry-1.docker.io의 주소를 찾지 못했습니다 (인터넷 연결이 없나요?). httpd:busybox는 오프라인 이미지로 들어 있습니다: 'sudo tocker load -i ${
      built['httpd-busybox'].tarball
    }'로 불러오세요. 또는 /etc/tocker/daemon.json의 "registry-mirrors"에 미러를 설정하세요.`,
  )
  t.equal(kl.length, 3)
})

t.test('an image that is not offline: the list of those that are', async (t) => {
  const r = await env.tocker(['pull', 'nginx'], { env: C })
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    /Hint: the registry registry-1\.docker\.io could not be found \(no internet\?\)\. nginx:latest is not one of the offline images, which are in \/\S+\/rootfs-cache\/out: busybox, .*httpd:busybox\. Load one with 'sudo tocker load -i \/\S+\/rootfs-cache\/out\/<name>\.tar'/,
  )
  t.notMatch(r.stderr, /Did you mean|did you mean/, 'nothing local is close to nginx')
})

t.test("run of a typo'd image: the offline hint and the local image it may have meant", async (t) => {
  const r = await env.tocker(['run', '--rm', 'htpd:busybox'], { env: C })
  t.equal(r.code, 125)
  t.match(r.stderr, /^Unable to find image 'htpd:busybox' locally\ntocker: Error response from daemon: /)
  t.match(r.stderr, /\nHint: did you mean httpd:busybox\? \('tocker images' lists them\)\n/)
  const k = await env.tocker(['run', '--rm', 'busybx'], { env: ko })
  t.match(k.stderr, /\n힌트: 혹시 busybox 말인가요\? \('tocker images'로 목록을 볼 수 있습니다\)\n/)
})

t.test("a typo'd container name: did you mean, for one container and for several", async (t) => {
  await env.ok(['run', '-d', '--name', 'ws2', 'httpd:busybox'])
  t.teardown(() => env.tocker(['rm', '-f', 'ws2']))
  const logs = await env.tocker(['logs', 'ws3'], { env: C })
  t.equal(logs.code, 1)
  t.equal(logs.stderr, "Error response from daemon: No such container: ws3\nHint: did you mean ws2? ('tocker ps -a' lists them)\n")
  const stop = await env.tocker(['stop', 'ws3', 'ws2'], { env: ko })
  t.equal(stop.code, 1)
  t.equal(stop.stdout, 'ws2\n', 'the one that exists is stopped')
  t.match(stop.stderr, /^Error response from daemon: No such container: ws3\nHint: did you mean ws2\? .*\n힌트: 혹시 ws2 말인가요\? .*\n힌트: 'ws3'라는 이름이나 ID의 컨테이너가 없습니다/)
  const far = await env.tocker(['rm', 'database'], { env: C })
  t.equal(far.stderr, 'Error response from daemon: No such container: database\n', "nothing close: Docker's line alone")
})

t.test('exec of apt in httpd:busybox: no package manager, vi is there, use a Debian-based image', async (t) => {
  await env.ok(['run', '-d', '--name', 'small', 'httpd:busybox'])
  t.teardown(() => env.tocker(['rm', '-f', 'small']))
  const r = await env.tocker(['exec', 'small', 'sh', '-c', 'apt update && apt install nano'], { env: ko })
  t.equal(r.code, 127)
  const lines = r.stderr.trim().split('\n')
  t.match(
    lines.at(-2),
    /^Hint: the image httpd:busybox has no package manager \(apt is not there\): it is a minimal image\. An editor is there already: vi\. For apt, use a Debian-based image, such as debian or httpd \(Apache on Debian\)\.$/,
  )
  t.match(lines.at(-1), /^힌트: 이미지 httpd:busybox에는 패키지 관리자가 없습니다 \(apt 없음\)\. .*편집기 vi는 이미 들어 있습니다\. apt를 쓰려면 debian이나 httpd/)
  t.equal((await env.ok(['ps', '-aq', '--filter', 'label=tocker.probe'])).trim(), '', 'the probe container is gone')
})
