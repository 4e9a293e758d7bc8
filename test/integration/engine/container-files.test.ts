// The engine reads and writes files inside container roots (the user database for run -u and
// exec -u, the bind-mount targets of /etc/hosts and friends). The container decides what those
// paths are: here images and running containers make them FIFOs, endless devices, huge files and
// symlinks pointing out of the root, and the engine must answer _ping throughout, stay small, give
// a clear error, and never read or write outside the root (canaries under a temp dir).
// Runs in a private network namespace; the engine is killed if it passes a memory limit, so that
// an engine without these bounds cannot take the machine down.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import type { Test } from 'tap'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { request } = await import('node:http')
const { execFile } = await import('node:child_process')
const { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { promisify } = await import('node:util')
const { engineTestBed } = await import('./harness.js')
// @ts-ignore: plain JavaScript modules of the offline image build
const { busyboxBaseEntries, busyboxInputs, DEFAULT_OUT } = await import('../../../rootfs-cache/build.mjs')
// @ts-ignore
const { OciLayoutWriter } = await import('../../../rootfs-cache/lib/oci-layout.mjs')
// @ts-ignore
const { BUSYBOX_CONFIG } = await import('../../../rootfs-cache/recipes/busybox.mjs')

const run = promisify(execFile)
const { env, ref, cleanup } = await engineTestBed(['busybox'], 'tocker-engine-files-')
const BUSYBOX = ref('busybox')
const registry = BUSYBOX.slice(0, BUSYBOX.indexOf('/'))
const tmp = mkdtempSync(join(tmpdir(), 'tocker-files-canary-'))
t.teardown(async () => {
  await cleanup()
  rmSync(tmp, { recursive: true, force: true })
})

/** Beyond this the engine is killed: an unbounded read must not take the machine down. */
const KILL_RSS_MB = 1024
/** What a bounded engine stays under, even while it refuses a hostile file. */
const MAX_RSS_MB = 300

// A canary the hostile symlinks point at, by absolute path and by ../../.. from the root.
const canary = join(tmp, 'passwd')
writeFileSync(canary, 'canary:x:4242:4242:canary:/canary-home:/bin/sh\n')
const canaryGroup = join(tmp, 'group')
writeFileSync(canaryGroup, 'canarygroup:x:4243:canary\n')
const dotdots = '../'.repeat(24).slice(0, -1)

// ---- hostile images: busybox plus one layer ----

type Entry = { path: string; type: 'file' | 'dir' | 'symlink' | 'fifo'; data?: string | Buffer; linkname?: string; mode?: number; mtime?: number }
const IMAGES: Record<string, Entry[]> = {
  'passwd-fifo': [{ path: 'etc/passwd', type: 'fifo', mode: 0o644 }],
  'passwd-zero': [{ path: 'etc/passwd', type: 'symlink', linkname: '/dev/zero' }],
  'passwd-outside': [
    { path: 'etc/passwd', type: 'symlink', linkname: canary },
    { path: 'etc/group', type: 'symlink', linkname: `${dotdots}${canaryGroup}` },
  ],
  // 32 MiB of groups (it compresses to almost nothing).
  'group-huge': [{ path: 'etc/group', type: 'file', data: Buffer.from('root:x:0:\n' + 'g:x:1000:a,b,c,d,e,f,g,h\n'.repeat((32 << 20) / 24)) }],
  // The files the engine binds over, made a FIFO and symlinks out of the root; a bind target too.
  'etc-planted': [
    { path: 'etc/hosts', type: 'fifo', mode: 0o644 },
    { path: 'etc/resolv.conf', type: 'symlink', linkname: join(tmp, 'resolv-canary') },
    { path: 'etc/hostname', type: 'symlink', linkname: `${dotdots}${join(tmp, 'hostname-canary')}` },
    { path: 'data', type: 'symlink', linkname: join(tmp, 'made-on-host') },
  ],
}

async function pushHostileImages(): Promise<void> {
  const inputs = await busyboxInputs(DEFAULT_OUT)
  const dir = join(tmp, 'layout')
  const w = await new OciLayoutWriter(dir).init()
  const base = await w.layer(await busyboxBaseEntries(inputs))
  const refs = []
  for (const [name, entries] of Object.entries(IMAGES)) {
    const top = await w.layer(entries.map((e) => ({ mtime: inputs.mtime, ...e })))
    refs.push({ descriptor: await w.image({ layers: [base, top], config: BUSYBOX_CONFIG, created: inputs.mtime }), tag: name })
  }
  await w.indexJson(refs)
  for (const name of Object.keys(IMAGES)) {
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:${name}`, `docker://${registry}/hostile/${name}:latest`])
  }
}
const hostile = (name: string) => `${registry}/hostile/${name}`

// ---- the engine's health ----

function ping(timeoutMs = 2000, took?: (ms: number) => void): Promise<boolean> {
  const started = Date.now()
  return new Promise((resolve) => {
    const req = request({ socketPath: env.socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('end', () => {
        took?.(Date.now() - started)
        resolve(res.statusCode === 200)
      })
    })
    req.on('timeout', () => {
      req.destroy()
      resolve(false)
    })
    req.on('error', () => resolve(false))
    req.end()
  })
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/**
 * Run `tocker args` while watching the engine: _ping every 200 ms (each must answer within 2 s)
 * and its RSS (killed past KILL_RSS_MB). An engine found stuck is killed and started again, so the
 * next subtest gets a working one. The command itself is bounded by `timeoutMs`.
 */
async function watched(args: string[], timeoutMs = 20_000) {
  const pid = env.engine!.pid!
  let maxRss = rssMb(pid)
  let pingFailures = 0
  let slowestPing = 0
  let killed = ''
  let done = false
  const kill = (why: string) => {
    if (killed) return
    killed = why
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  // Memory first, on its own clock: an engine reading /dev/zero grows by ~1 GB/s.
  const rssTimer = setInterval(() => {
    const rss = rssMb(pid)
    maxRss = Math.max(maxRss, rss)
    if (rss > KILL_RSS_MB) kill(`RSS ${Math.round(rss)} MB`)
  }, 10)
  const watcher = (async () => {
    while (!done && !killed) {
      if (!(await ping(2000, (ms) => (slowestPing = Math.max(slowestPing, ms))))) pingFailures++
      if (pingFailures >= 2) kill('no answer to _ping')
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  const started = Date.now()
  const r = await env.tocker(args, { timeoutMs })
  const ms = Date.now() - started
  done = true
  await watcher
  if (!killed && !(await ping())) kill('no answer to _ping after the command')
  clearInterval(rssTimer)
  if (killed) {
    env.engine = undefined
    await env.startEngine()
  }
  return { ...r, ms, maxRss, pingFailures, slowestPing, killed }
}

function healthy(t: Test, r: Awaited<ReturnType<typeof watched>>): void {
  t.equal(r.killed, '', 'the engine was never stuck nor too big')
  t.equal(r.pingFailures, 0, '_ping answered within 2 s throughout')
  t.ok(r.maxRss < MAX_RSS_MB, `engine RSS stayed under ${MAX_RSS_MB} MB (max ${Math.round(r.maxRss)} MB)`)
}

await pushHostileImages()
for (const name of Object.keys(IMAGES)) await env.ok(['pull', '-q', hostile(name)])

t.test('an image whose /etc/passwd is a FIFO: run fails with a clear error, the engine never blocks', async (t) => {
  for (const user of [[], ['-u', '0'], ['-u', 'nobody']]) {
    const r = await watched(['run', '--rm', '--network', 'none', ...user, hostile('passwd-fifo'), 'true'])
    healthy(t, r)
    t.not(r.code, 0)
    t.match(r.stderr, 'unable to read /etc/passwd in the container: it is a FIFO, not a regular file', `run ${user.join(' ')}`)
    t.ok(r.ms < 10_000, `answered in ${r.ms} ms`)
  }
  t.notMatch(await env.ok(['ps', '-a', '--format', '{{.Image}}']), 'passwd-fifo', '--rm removed the failed containers')
})

// A running container that changes its own files on request: it runs the script the test drops
// into a bind-mounted control directory (exec cannot be used for that: once /etc/passwd is
// hostile, every exec is refused, by design).
const ctl = join(tmp, 'ctl')

async function startPlanter(): Promise<void> {
  await run('mkdir', ['-p', ctl])
  await env.ok(['run', '-d', '--name', 'planter', '--network', 'none', '-v', `${ctl}:/ctl`, BUSYBOX, 'sh', '-c', 'while :; do if [ -f /ctl/cmd ]; then sh /ctl/cmd > /ctl/out 2>&1; rm /ctl/cmd; fi; sleep 0.05; done'])
}

async function plant(script: string): Promise<void> {
  // Written whole under another name, then renamed: the planter polls for /ctl/cmd and could
  // otherwise run a file seen between its creation and the write (an empty or partial script; the
  // CI once ran the /etc/passwd line of GOOD_PASSWD without its /etc/group line: exec -u root:root
  // then exited 126, no group "root").
  writeFileSync(join(ctl, 'cmd.new'), script + '\n')
  renameSync(join(ctl, 'cmd.new'), join(ctl, 'cmd'))
  for (let i = 0; i < 200 && existsSync(join(ctl, 'cmd')); i++) await new Promise((r) => setTimeout(r, 50))
  if (existsSync(join(ctl, 'cmd'))) throw new Error('the container did not run the planted script')
}
const GOOD_PASSWD = 'rm -f /etc/passwd /etc/group; echo root:x:0:0:root:/root:/bin/sh > /etc/passwd; echo root:x:0: > /etc/group'
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

t.test('a container that makes its /etc/passwd a FIFO before exec -u 0: exec fails, the engine answers', async (t) => {
  await startPlanter()
  await plant('rm /etc/passwd && mkfifo /etc/passwd')
  for (const user of [['-u', '0'], ['-u', 'root'], []]) {
    const r = await watched(['exec', ...user, 'planter', 'true'])
    healthy(t, r)
    t.not(r.code, 0)
    t.match(output(r), 'unable to read /etc/passwd in the container: it is a FIFO, not a regular file', `exec ${user.join(' ')}`)
  }
  await plant(GOOD_PASSWD)
  t.equal(await env.ok(['exec', '-u', 'root', 'planter', 'id', '-u']), '0\n', 'a regular /etc/passwd again: exec works')
})

t.test('/etc/passwd -> /dev/zero (image and running container): refused, engine RSS bounded', async (t) => {
  const r = await watched(['run', '--rm', '--network', 'none', '-u', 'nobody', hostile('passwd-zero'), 'true'])
  healthy(t, r)
  t.not(r.code, 0)
  t.match(r.stderr, 'unable to read /etc/passwd in the container: it is a character device, not a regular file')

  await plant('ln -sf /dev/zero /etc/passwd')
  const e = await watched(['exec', '-u', '0', 'planter', 'true'])
  healthy(t, e)
  t.not(e.code, 0)
  t.match(output(e), 'unable to read /etc/passwd in the container: it is a character device, not a regular file')
  // A regular file that never ends is the same danger: /proc files are regular (and say size 0).
  // (/proc/self would not do: the engine is not in the container's PID namespace, so it has no self there.)
  await plant('ln -sf /proc/1/pagemap /etc/passwd')
  const p = await watched(['exec', '-u', '0', 'planter', 'true'])
  healthy(t, p)
  t.not(p.code, 0)
  t.match(output(p), /unable to read \/etc\/passwd in the container: (it is larger than 4 MiB|reading it would block)/)
  await plant(GOOD_PASSWD)
})

t.test('/etc/passwd and /etc/group symlinked out of the root: resolved inside it, the host canaries never read', async (t) => {
  const r = await watched(['run', '--rm', '--network', 'none', '-u', 'canary', hostile('passwd-outside'), 'true'])
  healthy(t, r)
  t.not(r.code, 0)
  t.match(r.stderr, 'unable to find user canary: no matching entries in passwd file')
  const g = await watched(['run', '--rm', '--network', 'none', '-u', '0:canarygroup', hostile('passwd-outside'), 'true'])
  healthy(t, g)
  t.match(g.stderr, 'unable to find group canarygroup: no matching entries in group file')

  // The same links, made by a running container before exec.
  await plant(`ln -sf ${canary} /etc/passwd && ln -sf ${dotdots}${canaryGroup} /etc/group`)
  const e = await watched(['exec', '-u', 'canary', 'planter', 'id'])
  healthy(t, e)
  t.not(e.code, 0)
  t.match(output(e), 'unable to find user canary')
  const eg = await watched(['exec', '-u', '0:canarygroup', 'planter', 'id'])
  t.not(eg.code, 0)
  t.match(output(eg), 'unable to find group canarygroup')
  // When the link's target exists *inside* the root, that is what is read (the root's view).
  await plant(`mkdir -p ${tmp} && echo inside:x:77:77::/:/bin/sh > ${canary}`)
  t.equal(await env.ok(['exec', '-u', 'inside', 'planter', 'id', '-u']), '77\n')
  t.equal(readFileSync(canary, 'utf8'), 'canary:x:4242:4242:canary:/canary-home:/bin/sh\n', 'the host canary is untouched')
  await plant(GOOD_PASSWD)
})

t.test('a huge /etc/group (image, running container): a clear error, no unbounded read', async (t) => {
  const r = await watched(['run', '--rm', '--network', 'none', '-u', 'root:g', hostile('group-huge'), 'true'])
  healthy(t, r)
  t.not(r.code, 0)
  t.match(r.stderr, /unable to read \/etc\/group in the container: it is larger than 4 MiB \(3\d\.\d MiB\)/)
  t.ok(r.ms < 10_000, `answered in ${r.ms} ms`)
  // A name without a group still reads /etc/group (supplementary groups): refused the same way.
  const n = await watched(['run', '--rm', '--network', 'none', '-u', 'nobody', hostile('group-huge'), 'true'])
  t.match(n.stderr, 'unable to read /etc/group in the container: it is larger than 4 MiB')
  // Numeric users need no database beyond /etc/passwd: they still run.
  const ok = await watched(['run', '--rm', '--network', 'none', '-u', '1000:1000', hostile('group-huge'), 'id', '-u'])
  healthy(t, ok)
  t.equal(ok.stdout, '1000\n', ok.stderr)

  await plant('yes g:x:5:a,b,c | head -c 10000000 > /etc/group')
  const e = await watched(['exec', '-u', 'root:g', 'planter', 'true'])
  healthy(t, e)
  t.not(e.code, 0)
  t.match(output(e), 'unable to read /etc/group in the container: it is larger than 4 MiB (9.5 MiB)')
  await plant(GOOD_PASSWD)
  t.equal(await env.ok(['exec', '-u', 'root:root', 'planter', 'id', '-g']), '0\n')
})

t.test('rm of a container with 120k files in its writable layer: the engine answers while they go', async (t) => {
  await env.ok(['run', '--name', 'many', '--network', 'none', BUSYBOX, 'sh', '-c', 'mkdir -p /many/a /many/b /many/c && for d in a b c; do (cd /many/$d && seq 40000 | xargs touch); done'])
  const id = (await env.ok(['inspect', '--format', '{{.Id}}', 'many'])).trim()
  const r = await watched(['rm', 'many'], 60_000)
  healthy(t, r)
  t.equal(r.code, 0, r.stderr)
  t.ok(r.slowestPing < 1000, `_ping answered in under 1 s during the removal (slowest ${r.slowestPing} ms; rm took ${r.ms} ms)`)
  t.notOk(existsSync(join(env.root, 'containers', id)), "the container's directory is gone")
})

t.test('bind targets planted by the image (FIFO /etc/hosts, /etc/resolv.conf and /etc/hostname and a volume target linked out): made inside the root', async (t) => {
  const src = join(tmp, 'volume')
  writeFileSync(join(tmp, 'resolv-canary'), 'canary\n')
  rmSync(src, { recursive: true, force: true })
  await run('mkdir', ['-p', src])
  writeFileSync(join(src, 'in-volume'), 'volume\n')
  const r = await watched([
    'run',
    '--rm',
    '--network',
    'none',
    '--hostname',
    'planted',
    '-v',
    `${src}:/data`,
    hostile('etc-planted'),
    'sh',
    '-c',
    'cat /etc/hostname; grep -c localhost /etc/hosts; cat /data/in-volume',
  ])
  healthy(t, r)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'planted\n2\nvolume\n')
  t.equal(readFileSync(join(tmp, 'resolv-canary'), 'utf8'), 'canary\n', 'the resolv.conf canary is untouched')
  t.notOk(existsSync(join(tmp, 'hostname-canary')), 'nothing made at the hostname link target on the host')
  t.notOk(existsSync(join(tmp, 'made-on-host')), 'the volume target was made inside the root, not on the host')
  t.ok(statSync(src).isDirectory())
})

t.test('clean up', async () => {
  await env.ok(['rm', '-f', 'planter'])
  await cleanup()
})
