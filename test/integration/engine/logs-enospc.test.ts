// A log write cut by a full disk: the shim must leave whole lines only (it cuts the file back to
// the last whole line, or starts the next entry on a new line), and `tocker logs` must lose at most
// the torn entry — never the entry after it — and report what it skipped in the engine's --debug
// log. The full disk is a small tmpfs mounted on the store's containers/ directory, in this test's
// private mount namespace (it goes away with the test).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } = await import('node:fs')
const { join } = await import('node:path')
const { tockerEnv, until } = await import('./harness.js')
const { startRegistry } = await import('../../helpers/registry.js')
const { pushFixture } = await import('../../helpers/fixtures.js')

const registry = await startRegistry()
await pushFixture(registry.addr, 'busybox', 'library/busybox:latest')
const BUSYBOX = `${registry.addr}/library/busybox`
const env = await tockerEnv('tocker-engine-enospc-')
const containers = join(env.root, 'containers')
mkdirSync(containers, { recursive: true })
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0710', 'tocker-enospc', containers])
let cleaned = false
const cleanup = async () => {
  if (cleaned) return
  cleaned = true
  try {
    const ids = (await env.tocker(['ps', '-aq'])).stdout.split('\n').filter(Boolean)
    if (ids.length) await env.tocker(['rm', '-f', ...ids])
    await env.stopEngine()
  } finally {
    execFileSync('umount', ['-l', containers])
    await env.cleanup()
    await registry.stop()
  }
}
t.teardown(cleanup)
await env.startEngine(['--debug'])
await env.ok(['pull', '-q', BUSYBOX])

const ctl = join(env.root, 'ctl') // on the ordinary disk
mkdirSync(ctl)
const filler = join(containers, 'filler')

/** Fill the tmpfs to the last byte. */
function fillDisk(): number {
  const fd = openSync(filler, 'w')
  let total = 0
  try {
    for (const size of [1 << 16, 4096, 512, 1]) {
      const buf = Buffer.alloc(size, 0x78)
      try {
        for (;;) total += writeSync(fd, buf)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      }
    }
  } finally {
    closeSync(fd)
  }
  return total
}

async function waitFor(file: string, what: string): Promise<void> {
  await until(() => existsSync(join(ctl, file)), what, 30_000)
}

t.test('a full disk while the container writes: whole lines only, nothing after the cut is lost', async (t) => {
  await env.ok([
    'run',
    '-d',
    '--name',
    'writer',
    '--network',
    'none',
    '-v',
    `${ctl}:/ctl`,
    BUSYBOX,
    'sh',
    '-c',
    [
      'echo started', // the log's last page is partly used: lines that fit there still go in
      'while [ ! -f /ctl/go ]; do sleep 0.05; done',
      `i=0; while [ $i -lt 3000 ]; do echo "line $i ${'.'.repeat(90)}"; i=$((i+1)); done`,
      'touch /ctl/phase1',
      'while [ ! -f /ctl/go2 ]; do sleep 0.05; done',
      'echo after-1; echo after-2; echo after-3',
      'touch /ctl/phase2',
      'exec sleep 600',
    ].join('\n'),
  ])
  const id = (await env.ok(['inspect', '--format', '{{.Id}}', 'writer'])).trim()
  const log = join(containers, id, `${id}-json.log`)
  await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('started'), 'the first line')
  t.comment(`filled the tmpfs with ${fillDisk()} bytes`)
  appendFileSync(join(ctl, 'go'), '')
  await waitFor('phase1', 'the container to write 3000 lines into a full disk')
  rmSync(filler)
  appendFileSync(join(ctl, 'go2'), '')
  await waitFor('phase2', 'the container to write after the disk has room again')
  await until(() => readFileSync(log, 'utf8').includes('after-3'), 'after-3 in the log')

  const raw = readFileSync(log, 'utf8').split('\n').slice(0, -1)
  const bad = raw.filter((l) => {
    try {
      return typeof JSON.parse(l).log !== 'string'
    } catch {
      return true
    }
  })
  t.same(bad, [], 'every line of the log file is a whole entry')
  const out = (await env.ok(['logs', 'writer'])).split('\n').filter(Boolean)
  const written = out.filter((l) => l.startsWith('line '))
  t.ok(written.length < 3000, `the full disk cost lines (${3000 - written.length} of 3000 lost)`)
  t.ok(written.length > 0, 'what fitted is there')
  t.same(written.filter((l) => !/^line \d+ \.{90}$/.test(l)), [], 'each one whole')
  t.same(out.slice(-3), ['after-1', 'after-2', 'after-3'], 'every line written after the disk had room again')
  await env.ok(['rm', '-f', 'writer'])
})

t.test('torn lines left by an older shim: the glued entry is shown, the torn one counted in the --debug log', async (t) => {
  await env.ok(['run', '--name', 'torn', '--network', 'none', BUSYBOX, 'sh', '-c', 'echo first; echo second'])
  const id = (await env.ok(['inspect', '--format', '{{.Id}}', 'torn'])).trim()
  const log = join(containers, id, `${id}-json.log`)
  // What an ENOSPC-cut write left with the old shim: a torn entry, the next one on the same line.
  const lines = readFileSync(log, 'utf8').split('\n')
  writeFileSync(log, `${lines[0]}\n${lines[0].slice(0, 20)}${lines[1]}\n`)
  const r = await env.tocker(['logs', 'torn'])
  t.equal(r.stdout, 'first\nsecond\n', 'the entry glued to the torn one is not lost')
  await until(() => env.engineLog().includes(`logs of ${id}: skipped 1 torn line(s)`), "the torn line in the engine's debug log", 5000)
  t.pass('reported with --debug')

  // A torn last line (a shim killed mid-write): the next shim starts a new line.
  appendFileSync(log, '{"log":"killed mid-wri')
  await env.ok(['start', '-a', 'torn'])
  const raw = readFileSync(log, 'utf8').split('\n')
  t.equal(raw[2], '{"log":"killed mid-wri', 'the torn entry stays alone on its line')
  t.match(JSON.parse(raw[3]), { log: 'first\n' }, 'the next entry starts a line of its own')
  t.same((await env.ok(['logs', 'torn'])).split('\n'), ['first', 'second', 'first', 'second', ''])
})

t.test('clean up', async () => {
  await cleanup()
})
