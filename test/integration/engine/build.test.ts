// `tocker build` and Docker's own CLI (`DOCKER_BUILDKIT=0 docker build`) against a real engine, the
// real kernel and a real registry (the FROM image is pulled by the builder): the classic output,
// every instruction's effect on the image config and history, RUN in tocker's own containers and
// its upper directory as a layer (whiteouts and opaque directories checked by an independent
// reader, umoci, on `tocker save`'s OCI layout), COPY/ADD details, multi-stage with only the
// needed stages, the cache (and what invalidates it), .dockerignore compared with Docker's CLI,
// bad inputs with Docker's wording and exit codes, and nothing left behind.
// Runs in a private network namespace (RUN steps get a veth on the bridge there).
import type { Test } from 'tap'
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import { TOCKER_BIN } from '../../helpers/paths.js'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, symlinkSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { dockerCli, engineTestBed } = await import('./harness.js')

const { env, ref, cleanup } = await engineTestBed(['busybox'])
const BUSYBOX = ref('busybox')
t.teardown(cleanup)
const work = mkdtempSync(join(tmpdir(), 'tocker-build-test-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

const lines = (s: string) => s.split('\n').filter(Boolean)

/** A context directory with these files (a Dockerfile among them). */
function context(name: string, files: Record<string, string>): string {
  const dir = join(work, name)
  rmSync(dir, { recursive: true, force: true })
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

const docker = dockerCli(env.socket, join(work, 'docker-config'))

/** No build containers left, no build scratch in the engine's tmp/, every layer held by an image. */
async function nothingLeft(t: Test, what: string) {
  t.equal((await env.ok(['ps', '-aq'])).trim(), '', `${what}: no containers left`)
  const tmp = join(env.root, 'tmp')
  const sessions = readdirSync(tmp).filter((n) => /^\d+-[0-9a-f]+$/.test(n))
  const inside = sessions.flatMap((s) => readdirSync(join(tmp, s)).filter((x) => x !== 'pins'))
  t.same(inside, [], `${what}: nothing in the engine's tmp/`)
  const used = new Set<string>()
  for (const f of readdirSync(join(env.root, 'images'))) for (const d of JSON.parse(readFileSync(join(env.root, 'images', f), 'utf8')).diffIDs) used.add(d.slice(7))
  const layers = readdirSync(join(env.root, 'layers')).filter((n) => /^[0-9a-f]{64}$/.test(n))
  t.same(layers.filter((l) => !used.has(l)), [], `${what}: no layer without an image`)
}

const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE=${BUSYBOX}
FROM \${BASE} AS build
ARG MSG=default
RUN mkdir -p /out/dir && echo "$MSG" > /out/msg && ln /out/msg /out/hard && echo a > /out/dir/a
FROM \${BASE} AS unused
RUN echo never-run-this
FROM $BASE
ENV APP=/app GREETING="hello world"
WORKDIR \${APP}/work
COPY --from=build /out $APP/
COPY --chown=33:33 --chmod=640 conf/ /conf/
ADD files.tar.gz /unpacked/
COPY *.txt ./
RUN echo "$GREETING" > greeting && rm /etc/group && rm -r $APP/dir && mkdir $APP/dir && echo b > $APP/dir/b
LABEL org.example.version="1.0" \\
      maintainer=me
USER 33:33
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=30s --retries=2 CMD wget -q -O- http://localhost/ || exit 1
ONBUILD RUN echo child
SHELL ["/bin/sh", "-e", "-c"]
ENTRYPOINT ["cat"]
CMD ["greeting"]
`

let built = ''

t.test("build: every instruction, multi-stage, Docker's classic output, the image it makes", async (t) => {
  const dir = context('full', { Dockerfile: DOCKERFILE, 'conf/app.conf': 'x=1\n', 'one.txt': '1\n', 'two.txt': '2\n', 'other.md': 'no\n' })
  execFileSync('tar', ['-czf', join(dir, 'files.tar.gz'), '-C', join(dir, 'conf'), 'app.conf'])
  const r = await env.tocker(['build', '-t', 'full:1', '--build-arg', 'MSG=from-arg', dir])
  t.equal(r.code, 0, r.stderr)
  const out = r.stdout
  t.match(out, /^Sending build context to Docker daemon {2}\d[\d.]*[kM]?B\n/)
  t.match(out, `Step 1/22 : ARG BASE=${BUSYBOX}\n`)
  t.match(out, `Step 2/22 : FROM \${BASE} AS build\n`)
  t.match(out, new RegExp(`Step 4/22 : RUN mkdir -p /out/dir .*\\n ---> Running in [0-9a-f]{12}\\nRemoving intermediate container [0-9a-f]{12}\\n ---> [0-9a-f]{12}\\n`))
  t.notMatch(out, 'never-run-this', 'a stage nothing needs is not built')
  t.notMatch(out, 'FROM ${BASE} AS unused')
  t.match(out, /Step 8\/22 : COPY --from=build \/out \$APP\/\n ---> [0-9a-f]{12}\n/, 'COPY makes no container')
  t.match(out, /Step 13\/22 : LABEL org.example.version="1.0"       maintainer=me\n/, 'continuation lines joined as written')
  t.match(out, /Step 22\/22 : CMD \["greeting"\]\n ---> Running in ([0-9a-f]{12})\nRemoving intermediate container \1\n ---> ([0-9a-f]{12})\nSuccessfully built \2\nSuccessfully tagged full:1\n$/)
  built = /Successfully built ([0-9a-f]{12})/.exec(out)![1]

  const [img] = JSON.parse(await env.ok(['image', 'inspect', 'full:1']))
  t.equal(img.Id.slice(7, 19), built)
  const c = img.Config
  t.same(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP=/app', 'GREETING=hello world'])
  t.equal(c.WorkingDir, '/app/work')
  t.equal(c.User, '33:33')
  t.same(c.ExposedPorts, { '53/udp': {}, '8080/tcp': {} })
  t.same(c.Volumes, { '/data': {} })
  t.equal(c.StopSignal, 'SIGQUIT')
  t.same(c.Labels, { 'org.example.version': '1.0', maintainer: 'me' })
  t.same(c.Healthcheck, { Test: ['CMD-SHELL', 'wget -q -O- http://localhost/ || exit 1'], Interval: 30e9, Retries: 2 })
  t.same(c.OnBuild, ['RUN echo child'])
  t.same(c.Shell, ['/bin/sh', '-e', '-c'])
  t.same(c.Entrypoint, ['cat'])
  t.same(c.Cmd, ['greeting'])
  t.notOk(img.Parent === '', 'a built image has its parent (the previous step)')

  const hist = JSON.parse(execFileSync('curl', ['-s', '--unix-socket', env.socket, 'http://x/images/full:1/history']).toString())
  const by = hist.map((h: { CreatedBy: string }) => h.CreatedBy)
  // Docker's comment is prefixed by the shell in force, the new one from SHELL on.
  t.equal(by[0], '/bin/sh -e -c #(nop)  CMD ["greeting"]')
  t.equal(by[1], '/bin/sh -e -c #(nop)  ENTRYPOINT ["cat"]')
  t.equal(by[2], '/bin/sh -e -c #(nop)  SHELL [/bin/sh -e -c]')
  t.equal(by[6], '/bin/sh -c #(nop)  VOLUME [/data]')
  t.equal(by[7], '/bin/sh -c #(nop)  EXPOSE 53/udp 8080')
  t.equal(by[8], '/bin/sh -c #(nop)  USER 33:33')
  t.match(by[10], /^\/bin\/sh -c echo "\$GREETING" > greeting && rm \/etc\/group/)
  t.match(by[11], /^\/bin\/sh -c #\(nop\) COPY multi:[0-9a-f]{64} in \.\/ $/)
  t.match(by[12], /^\/bin\/sh -c #\(nop\) ADD file:[0-9a-f]{64} in \/unpacked\/ $/)
  t.match(by[13], /^\/bin\/sh -c #\(nop\) COPY --chown=33:33 dir:[0-9a-f]{64} in \/conf\/ $/)
  t.match(by[14], /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in \/app\/ $/)
  t.equal(by[15], '/bin/sh -c #(nop) WORKDIR /app/work')
  t.equal(by[16], '/bin/sh -c #(nop)  ENV APP=/app GREETING=hello world')
  t.equal(hist[0].Id, img.Id, 'the top entry is the image')
  t.match(hist[1].Id, /^sha256:[0-9a-f]{64}$/, 'the entries below are its build steps (parents), as Docker shows them')
  t.equal(hist[16].Size, 0)
  t.ok(hist[10].Size > 0, 'the RUN step made a layer')

  const run = await env.tocker([
    'run',
    '--rm',
    '--entrypoint',
    'sh',
    'full:1',
    '-c',
    'id -u; cat greeting; cat /app/msg; stat -c "%h %u:%g %a" /app/msg; cat /unpacked/app.conf; ls /app/dir; ls /app/work; test -e /etc/group || echo no-group',
  ])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, '33\nhello world\nfrom-arg\n2 0:0 644\nx=1\nb\ngreeting\none.txt\ntwo.txt\nno-group\n')
  // --chmod=640 applies to the directory the copy creates too (as BuildKit does): user 33 cannot enter it.
  const conf = await env.tocker(['run', '--rm', '--user', '0', '--entrypoint', 'stat', 'full:1', '-c', '%u:%g %a', '/conf/app.conf', '/conf'])
  t.equal(conf.stdout, '33:33 640\n33:33 640\n', conf.stderr)
  t.equal(await env.ok(['run', '--rm', 'full:1']), 'hello world\n', 'ENTRYPOINT + CMD')
  await nothingLeft(t, 'after a build')
})

t.test('the RUN layer read by umoci from `tocker save`: whiteouts and an opaque directory', async (t) => {
  const out = join(work, 'saved')
  mkdirSync(out, { recursive: true })
  execFileSync(process.execPath, [TOCKER_BIN, '--root', env.root, 'save', '-o', join(out, 'img.tar'), 'full:1'], { env: { ...process.env, TOCKER_NO_AUTOSTART: '1' } })
  execFileSync('tar', ['-xf', join(out, 'img.tar'), '-C', out])
  const bundle = join(out, 'bundle')
  execFileSync('umoci', ['unpack', '--rootless', '--image', `${out}:1`, bundle], { stdio: 'pipe' })
  const rootfs = join(bundle, 'rootfs')
  t.notOk(existsSync(join(rootfs, 'etc/group')), '/etc/group deleted by a RUN (a whiteout)')
  t.ok(existsSync(join(rootfs, 'etc/passwd')), 'its neighbours stay')
  t.same(readdirSync(join(rootfs, 'app/dir')), ['b'], 'the replaced directory holds only the new file (opaque)')
  t.equal(readFileSync(join(rootfs, 'app/work/greeting'), 'utf8'), 'hello world\n')
  t.ok(existsSync(join(rootfs, 'bin/busybox')))
})

t.test('the cache: a rebuild reuses every step; --no-cache none; a changed file only from its COPY on', async (t) => {
  const dir = join(work, 'full')
  const again = await env.tocker(['build', '-t', 'full:1', '--build-arg', 'MSG=from-arg', dir])
  t.equal(again.code, 0, again.stderr)
  t.equal((again.stdout.match(/ ---> Using cache\n/g) ?? []).length, 19, 'every step but FROM (and meta ARGs) from the cache')
  t.notMatch(again.stdout, 'Running in')
  t.match(again.stdout, `Successfully built ${built}\n`, 'the same image')

  writeFileSync(join(dir, 'two.txt'), '2 changed\n')
  const changed = await env.tocker(['build', '-t', 'full:2', '--build-arg', 'MSG=from-arg', dir])
  t.equal(changed.code, 0, changed.stderr)
  const s = changed.stdout
  t.match(s, /Step 10\/22 : ADD files.tar.gz \/unpacked\/\n ---> Using cache\n/, 'before the change: cached')
  t.match(s, /Step 11\/22 : COPY \*\.txt \.\/\n ---> [0-9a-f]{12}\n/, 'the COPY of the changed file runs again')
  t.match(s, /Step 12\/22 : RUN echo .*\n ---> Running in/, 'and everything after it')
  t.notMatch(s, `Successfully built ${built}`)
  t.equal(await env.ok(['run', '--rm', '--entrypoint', 'cat', 'full:2', 'two.txt']), '2 changed\n')

  const other = await env.tocker(['build', '-t', 'full:3', '--build-arg', 'MSG=other', dir])
  t.match(other.stdout, /Step 4\/22 : RUN mkdir -p \/out\/dir .*\n ---> Running in/, 'a build arg a RUN uses is part of its cache key')

  const none = await env.tocker(['build', '--no-cache', '-t', 'full:4', '--build-arg', 'MSG=from-arg', dir])
  t.equal(none.code, 0, none.stderr)
  t.notMatch(none.stdout, 'Using cache')
  await nothingLeft(t, 'after cached builds')
})

t.test("docker's own CLI (DOCKER_BUILDKIT=0) builds against the engine", async (t) => {
  const dir = context('docker-cli', {
    Dockerfile: `FROM ${BUSYBOX}\nCOPY . /ctx/\nRUN cd /ctx && find . | sort > /listing\nCMD ["cat", "/listing"]\n`,
    '.dockerignore': '# comment\n*.md\n!keep.md\ndir\n!dir/keep.txt\n**/*.log\n/top.txt\n',
    'a.md': '',
    'keep.md': '',
    'dir/x': '',
    'dir/keep.txt': '',
    'sub/b.log': '',
    'sub/c': '',
    'top.txt': '',
    'sub/top.txt': '',
  })
  const d = await docker(['build', '-t', 'viadocker', dir])
  t.equal(d.code, 0, d.stderr)
  t.match(d.stdout, /Step 1\/4 : FROM .*\n ---> [0-9a-f]{12}\nStep 2\/4 : COPY \. \/ctx\/\n ---> [0-9a-f]{12}\nStep 3\/4 : RUN cd \/ctx/)
  t.match(d.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged viadocker:latest\n$/)
  const viaDocker = await env.ok(['run', '--rm', 'viadocker'])
  const r = await env.tocker(['build', '--no-cache', '-t', 'viatocker', dir])
  t.equal(r.code, 0, r.stderr)
  const viaTocker = await env.ok(['run', '--rm', 'viatocker'])
  t.equal(viaTocker, viaDocker, ".dockerignore: tocker's CLI sends the same files as Docker's")
  t.same(lines(viaTocker), ['.', './.dockerignore', './Dockerfile', './dir', './dir/keep.txt', './keep.md', './sub', './sub/c', './sub/top.txt'])

  const q = await docker(['build', '-q', dir])
  t.equal(q.code, 0, q.stderr)
  t.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/, 'docker build -q prints the image ID')
  const tq = await env.tocker(['build', '-q', dir])
  t.equal(tq.stdout, q.stdout, 'so does tocker build -q')

  const fail = context('docker-fail', { Dockerfile: `FROM ${BUSYBOX}\nRUN echo to-stdout; echo to-stderr >&2; exit 3\n` })
  const df = await docker(['build', fail])
  t.equal(df.code, 3, "a failed RUN: docker exits with the command's own code")
  t.match(df.stderr, "The command '/bin/sh -c echo to-stdout; echo to-stderr >&2; exit 3' returned a non-zero code: 3")
  t.match(df.stdout, 'to-stdout\n')
  t.match(df.stdout, '\x1b[91mto-stderr\n\x1b[0m', "the step's stderr in red, as Docker shows it")
  const tf = await env.tocker(['build', fail])
  t.equal(tf.code, 3)
  t.equal(tf.stderr, "The command '/bin/sh -c echo to-stdout; echo to-stderr >&2; exit 3' returned a non-zero code: 3\n")
  await nothingLeft(t, 'after a failed RUN')
})

t.test("bad input: Docker's messages, exit codes, the line named, nothing half-made", async (t) => {
  const cases: [string, Record<string, string>, RegExp, number][] = [
    ['unknown', { Dockerfile: `FROM ${BUSYBOX}\nRUNN echo\n` }, /^Error response from daemon: dockerfile parse error on line 2: unknown instruction: RUNN \(did you mean RUN\?\)\n/, 1],
    ['no-from', { Dockerfile: 'RUN echo\n' }, /^Error response from daemon: dockerfile parse error on line 1: no build stage in current context\n/, 1],
    ['missing', { Dockerfile: `FROM ${BUSYBOX}\nCOPY nothere.txt /\n` }, /^COPY failed: file not found in build context or excluded by \.dockerignore: stat nothere\.txt: file does not exist\n/, 1],
    ['outside', { Dockerfile: `FROM ${BUSYBOX}\nCOPY ../../etc/passwd /stolen\n` }, /^COPY failed: file not found in build context or excluded by \.dockerignore: stat \.\.\/\.\.\/etc\/passwd: file does not exist\n/, 1],
    ['multi', { Dockerfile: `FROM ${BUSYBOX}\nCOPY a b /dst\n`, a: '', b: '' }, /^When using COPY with more than one source file, the destination must be a directory and end with a \/\n/, 1],
    ['target', { Dockerfile: `FROM ${BUSYBOX} AS one\n` }, /^Error response from daemon: failed to reach build target two in Dockerfile\n/, 1],
    ['empty', { Dockerfile: '' }, /^Error response from daemon: the Dockerfile \(Dockerfile\) cannot be empty\n/, 1],
    ['mount', { Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=cache,target=/x echo\n` }, /^the --mount option requires BuildKit/, 1],
    ['exec', { Dockerfile: `FROM ${BUSYBOX}\nRUN ["/no/such/program"]\n` }, /no\/such\/program/, 1],
  ]
  for (const [name, files, msg, code] of cases) {
    const dir = context(`bad-${name}`, files)
    const r = await env.tocker(['build', ...(name === 'target' ? ['--target', 'two'] : []), dir])
    t.equal(r.code, code, `${name}: exit ${code}`)
    t.match(r.stderr, msg, name)
  }
  const nof = await env.tocker(['build', '-f', join(work, 'nowhere/Dockerfile'), join(work, 'bad-empty')])
  t.equal(nof.code, 1)
  t.match(nof.stderr, /^unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat .*nowhere\/Dockerfile: no such file or directory\n/)
  // A context that is not a tar (only a client of the API can send one).
  const raw = execFileSync('curl', ['-s', '-o', '-', '-w', '%{http_code}', '--unix-socket', env.socket, '-X', 'POST', '--data-binary', 'not a tar at all', 'http://x/build'])
  t.match(raw.toString(), /the build context is not a valid tar archive[^]*\n400$/)
  // A symlink in the context pointing out of it is copied as a link, never followed out.
  const dir = context('symlink', { Dockerfile: `FROM ${BUSYBOX}\nCOPY link /copied\nCOPY dirlink/ /d/\n` })
  symlinkSync('/etc/shadow', join(dir, 'link'))
  symlinkSync('/etc', join(dir, 'dirlink'))
  const s = await env.tocker(['build', dir])
  t.equal(s.code, 1, 'a named symlink is resolved inside the context: /etc/shadow is not there')
  t.match(s.stderr, 'COPY failed: file not found in build context')
  await nothingLeft(t, 'after bad input')
})

t.test('cleanup', async () => {
  await cleanup()
})
