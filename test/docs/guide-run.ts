// The lab guide cannot rot: the chapters of docs/lab/en and docs/lab/ko are run as a learner types
// them, against the offline images, and what tocker prints must match what the chapters show (the
// convention is in test/docs/guide.ts and docs/lab/en/README.md). The two languages hold the same
// commands; each runs once, in the locale whose chapter shows its output (see pairChapters).
// guide-1.test.ts and guide-2.test.ts each run some of the chapters on a lab machine of their own
// (a chapter needs only the offline images, not what the chapters before it did), setting GUIDE_PART
// first: guide-1 those with Apache and Debian (big images to load), guide-2 the busybox ones.
//
// As in the lab VM after `sudo bin/lab`: the engine runs with its default store and socket
// (/var/lib/tocker and /run/tocker are temp directories bound there in this test's own mount
// namespace, so a chapter's `sudo ls /var/lib/tocker/…` works), every offline image is loaded,
// `sudo` just runs its command (we are root), and Docker Hub is a registry on 127.0.0.1 that holds
// busybox (a `registry-mirrors` entry, so `tocker pull busybox` works offline). All of it inside a
// private network namespace. Blocks marked `vm` (cgroup v2 limits) run in test/vm/guide.test.ts.
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { spawn, spawnSync, execFileSync } = await import('node:child_process')
const { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { setTimeout: sleep } = await import('node:timers/promises')
const guide = await import('./guide.js')
const { TOCKER_BIN, processesOf } = await import('../integration/engine/harness.js')
const { startRegistry, push } = await import('../helpers/registry.js')
// @ts-ignore: plain JavaScript modules
const { buildRootfsCache, DEFAULT_OUT } = await import('../../rootfs-cache/build.mjs')
// @ts-ignore
const { withLock, FIXTURES_DIR } = await import('../helpers/layout-cache.mjs')
// @ts-ignore
const { REPO } = await import('../vm/vm.mjs')

type Chapter = import('./guide.js').Chapter
type Command = import('./guide.js').Command
type Lang = import('./guide.js').Lang

const LAB = join(REPO, 'docs', 'lab')
/** The offline images bin/lab loads (rootfs-cache/out/<name>.tar), and how a chapter's command names each. */
const IMAGES: Record<string, RegExp> = {
  busybox: /./,
  httpd: /\bhttpd\b(?!:busybox|-)/,
  'httpd-busybox': /\bhttpd:busybox\b/,
  debian: /\bdebian\b/,
  'hello-diamol': /\bdiamol\//,
}
const COMMAND_TIMEOUT_MS = 120_000
const hasDocker = spawnSync('docker', ['--version']).status === 0

// While writing a chapter: GUIDE_CHAPTERS=01,03 runs some chapters of the part (their prefixes;
// the machine is the one the earlier chapters leave, so mind what they set up), GUIDE_SHOW=1 prints
// what each command printed.
const part = (process.env.GUIDE_PART ?? '').split(',').filter(Boolean)
const only = (process.env.GUIDE_CHAPTERS ?? '').split(',').filter(Boolean)
const chapterFiles = readdirSync(join(LAB, 'en'))
  .filter((f) => /^\d\d-.*\.md$/.test(f))
  .sort()
  .filter((f) => part.some((p) => f.startsWith(p)) && (!only.length || only.some((p) => f.startsWith(p))))
/** A chapter missing in one language reads as empty here (guide-parse.test.ts names it). */
const read = (path: string): Chapter => (existsSync(path) ? guide.readChapter(path) : { file: path, blocks: [] })
const paired = chapterFiles.map((f) => ({ name: `docs/lab/en/${f}`, ...guide.pairChapters(read(join(LAB, 'en', f)), read(join(LAB, 'ko', f)), f) }))
if (!part.length) throw new Error('GUIDE_PART (chapter prefixes) is not set: run guide-1.test.ts or guide-2.test.ts')

// ---- the machine the chapters run on --------------------------------------------------------

const started = Date.now()
// Loading the big images (debian, Apache) is most of a lab machine's set-up: each part loads those its
// chapters name (a learner's machine has all of them; no chapter lists them all).
const commandTexts = paired.flatMap((p) => p.blocks.flatMap((b) => b.steps.map((s) => s.text)))
const images = Object.keys(IMAGES).filter((name) => commandTexts.some((c) => IMAGES[name].test(c)))
await withLock(join(FIXTURES_DIR, '.lock-rootfs-cache'), () => buildRootfsCache({ outDir: DEFAULT_OUT, only: images }))
// Docker Hub, for the chapters' pulls: busybox only (the others are loaded, as bin/lab does).
const registry = commandTexts.some((c) => /\btocker (--explain )?pull\b/.test(c)) ? await startRegistry() : undefined
if (registry) {
  await push(`oci:${join(DEFAULT_OUT, 'busybox')}:latest`, `${registry.addr}/library/busybox:latest`)
  t.teardown(() => registry.stop())
}

const scratch = mkdtempSync(join(tmpdir(), 'tocker-guide-'))
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
const bin = join(scratch, 'bin')
mkdirSync(bin)
// `sudo CMD` runs CMD (we are root); `tocker` is this checkout's, talking to the default socket.
writeFileSync(join(bin, 'sudo'), '#!/bin/sh\nexec "$@"\n')
writeFileSync(join(bin, 'tocker'), `#!/bin/sh\nexec ${process.execPath} ${TOCKER_BIN} "$@"\n`)
chmodSync(join(bin, 'sudo'), 0o755)
chmodSync(join(bin, 'tocker'), 0o755)
const config = join(scratch, 'config')
mkdirSync(config)
writeFileSync(join(config, 'daemon.json'), JSON.stringify(registry ? { 'registry-mirrors': [`http://${registry.addr}`] } : {}))

function sh(script: string): string {
  return execFileSync('sh', ['-ec', script], { encoding: 'utf8' })
}

/** A learner's machine: default store and socket (bound), an engine, the offline images loaded. */
async function labMachine() {
  const store = join(scratch, 'store')
  const run = join(scratch, 'run')
  const work = join(scratch, 'work')
  for (const d of [store, run, work]) mkdirSync(d, { recursive: true })
  // The mount points exist on a machine set up by bin/lab. Here they may not: a mkdir in /var/lib or
  // /run would make them on the host's filesystem (a mount namespace has its own mounts, not its own
  // directories), and they would outlive the test. So where one is missing, its parent is first
  // covered, in this test's mount namespace only, by an overlay whose upper layer is a tmpfs of ours:
  // the parent's content stays visible, and the new directory exists only in the overlay.
  const shadow = join(scratch, 'shadow')
  mkdirSync(shadow)
  sh(`mount -t tmpfs tmpfs '${shadow}'`)
  const shadowed: string[] = []
  for (const dir of ['/var/lib', '/run']) {
    if (existsSync(join(dir, 'tocker'))) continue
    shadowed.push(dir)
    const upper = join(shadow, dir.slice(1).replace(/\//g, '-'))
    sh(`mkdir -p '${upper}/upper' '${upper}/work' && mount -t overlay overlay -o 'lowerdir=${dir},upperdir=${upper}/upper,workdir=${upper}/work' ${dir}`)
  }
  sh(`mkdir -p /var/lib/tocker /run/tocker && mount --bind '${store}' /var/lib/tocker && mount --bind '${run}' /run/tocker`)
  symlinkSync(join(REPO, 'rootfs-cache'), join(work, 'rootfs-cache'))
  // curl shows no progress meter on a terminal; here its output is a pipe, so say it.
  writeFileSync(join(work, '.curlrc'), 'silent\nshow-error\n')
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: work,
    LANG: guide.LOCALES.en,
    TERM: 'dumb',
    TOCKER_CONFIG: config,
    TOCKER_NO_AUTOSTART: '1',
    NODE_OPTIONS: '',
  }
  const engine = spawn(process.execPath, [TOCKER_BIN, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } })
  let engineLog = ''
  engine.stderr!.on('data', (d) => (engineLog += d))
  const tocker = (args: string[]) => spawnSync(process.execPath, [TOCKER_BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  const cleanup = async () => {
    const ids = tocker(['ps', '-aq']).stdout?.split('\n').filter(Boolean) ?? []
    if (ids.length) tocker(['rm', '-f', ...ids])
    if (engine.exitCode === null) {
      const gone = new Promise((r) => engine.once('exit', r))
      engine.kill('SIGTERM')
      await Promise.race([gone, sleep(30_000)])
      if (engine.exitCode === null) engine.kill('SIGKILL')
    }
    for (let i = 0; i < 100 && processesOf('/run/tocker').length; i++) await sleep(50)
    spawnSync('umount', ['-l', '/var/lib/tocker'])
    spawnSync('umount', ['-l', '/run/tocker'])
    for (const dir of shadowed) spawnSync('umount', ['-l', dir])
    spawnSync('umount', ['-l', shadow])
    rmSync(store, { recursive: true, force: true })
    rmSync(run, { recursive: true, force: true })
  }
  try {
    for (let i = 0;; i++) {
      if (existsSync('/run/tocker/tocker.sock') && tocker(['ps', '-q']).status === 0) break
      if (engine.exitCode !== null || i > 600) throw new Error(`the engine did not start: ${engineLog}`)
      await sleep(100)
    }
    for (const image of images) {
      const r = tocker(['load', '-q', '-i', join(DEFAULT_OUT, `${image}.tar`)])
      if (r.status !== 0) throw new Error(`load ${image}: ${r.stderr}`)
    }
  } catch (err) {
    await cleanup()
    throw err
  }
  return { env, work, engineLog: () => engineLog, cleanup }
}

// ---- a learner's terminal -------------------------------------------------------------------

const MARK = '\x1eRC'

/** One bash, fed a command at a time, as a learner types them; stdout and stderr together. */
function session(cwd: string, env: Record<string, string>) {
  const bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  let buf = ''
  bash.stdout.setEncoding('utf8')
  bash.stdout.on('data', (d) => (buf += d))
  bash.stderr.on('data', (d) => (buf += d))
  bash.stdin.write('exec 2>&1\n')
  let n = 0
  return {
    /** Runs `text` in the locale of `lang`; resolves with its output and exit status. */
    async run(text: string, lang: Lang = 'en'): Promise<{ output: string; rc: number }> {
      const id = ++n
      const marker = new RegExp(`\\n${MARK} ${id} (\\d+)\\x1e\\n`)
      bash.stdin.write(`__rc=$?; export LANG=${guide.LOCALES[lang]}; (exit $__rc)\n{ ${text}\n} </dev/null\n__rc=$?; export LANG=${guide.LOCALES.en}; printf '\\n${MARK} ${id} %d\\036\\n' "$__rc"; (exit $__rc)\n`)
      const deadline = Date.now() + COMMAND_TIMEOUT_MS
      for (;;) {
        const m = marker.exec(buf)
        if (m) {
          const output = buf.slice(0, m.index)
          buf = buf.slice(m.index + m[0].length)
          return { output, rc: Number(m[1]) }
        }
        if (bash.exitCode !== null) throw new Error(`the shell exited (${bash.exitCode}); it printed: ${buf}`)
        if (Date.now() > deadline) throw new Error(`no end after ${COMMAND_TIMEOUT_MS / 1000} s; it printed: ${buf}`)
        await sleep(20)
      }
    },
    /** Sets $? for the next command (after a command run under a terminal). */
    status(rc: number) {
      bash.stdin.write(`(exit ${rc})\n`)
    },
    async cwd(): Promise<string> {
      return (await this.run('pwd')).output.trim()
    },
    close() {
      try {
        process.kill(-bash.pid!, 'SIGKILL')
      } catch {
        /* gone */
      }
    },
  }
}

/** A command under a terminal (util-linux script): waits for each prompt, types each line. */
async function underTty(c: Command, cwd: string, env: Record<string, string>): Promise<{ transcript: string[]; rc: number; error?: string }> {
  const { typed } = guide.ttyScript(c)
  const child = spawn('script', ['-q', '-e', '-c', c.text, '/dev/null'], { cwd, env: { ...env, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)))
  const promptAtEnd = () => {
    const lines = guide.terminalLines(out)
    return guide.PROMPT.test(lines.at(-1) ?? '') && /# $/.test(lines.at(-1) ?? '')
  }
  let error: string | undefined
  for (const line of typed) {
    const deadline = Date.now() + 60_000
    while (!promptAtEnd() && child.exitCode === null && Date.now() < deadline) await sleep(50)
    if (!promptAtEnd()) {
      error = `no prompt to type ${JSON.stringify(line)} at`
      break
    }
    const seen = out.length
    child.stdin.write(`${line}\r`)
    // Wait for the echo, so the next prompt test does not see the old prompt.
    const echoed = Date.now() + 10_000
    while (out.length === seen && Date.now() < echoed) await sleep(20)
    await sleep(100)
  }
  const rc = await Promise.race([exited, sleep(error ? 0 : 60_000).then(() => undefined)])
  if (rc === undefined) {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      /* gone */
    }
    error ??= 'still running 60 s after the last typed line'
  }
  return { transcript: guide.terminalLines(out), rc: rc ?? -1, error }
}

const skipReason = (flags: Set<string>): string | false => {
  if (flags.has('vm')) return 'needs cgroup v2: test/vm/guide.test.ts runs it in the VM tier'
  if (flags.has('internet')) return "needs the internet (Docker Hub, or Debian's mirror from inside a container)"
  if (flags.has('host')) return "typed on the learner's own computer"
  if (flags.has('docker') && !hasDocker) return "Docker's docker CLI is not installed"
  return false
}

t.test('the chapters, in order, on one lab machine (commands whose Korean output differs run in Korean)', async (t) => {
  const machine = await labMachine()
  t.teardown(() => machine.cleanup())
  t.comment(`lab machine ready after ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const shell = session(machine.work, machine.env)
  t.teardown(() => shell.close())
  for (const ch of paired) {
    const t0 = Date.now()
    await t.test(ch.name, async (t) => {
      t.same(ch.problems, [], 'the Korean chapter runs what the English one runs')
      for (const block of ch.blocks) {
        const skip = skipReason(block.flags)
        if (skip) {
          t.skip(`${block.where}: ${skip}`, () => {})
          continue
        }
        for (let i = 0; i < block.steps.length; i++) {
          const step = block.steps[i]
          const where = `${step.where}: $ ${step.text.split('\n')[0]}`
          if (block.flags.has('tty')) {
            const r = await underTty(block.commands[i], await shell.cwd(), machine.env)
            shell.status(r.rc)
            const problem = r.error ?? guide.matchInOrder(guide.ttyScript(block.commands[i]).shown, r.transcript)
            t.notOk(problem, where, { problem, transcript: r.transcript.join('\n') })
            t.equal(r.rc, step.status, `${where}: exit status`)
            continue
          }
          let r = await shell.run(step.text, step.lang)
          // A server just started in a container may not listen yet: a learner types slower than
          // this test, so curl's "could not connect" (7) is tried again for a few seconds.
          for (let i = 0; i < 20 && r.rc === 7 && /^curl\b/.test(step.text); i++) {
            await sleep(500)
            r = await shell.run(step.text, step.lang)
          }
          const linesOf = (output: string) => {
            const lines = output.split('\n')
            if (lines.at(-1) === '') lines.pop()
            return lines
          }
          // A veth tocker deletes just after answering rm (guide.looksAgain): looked at again for a moment.
          for (let i = 0; i < 20 && step.expected.length && guide.looksAgain(step.text) && guide.matchLines(step.expected, linesOf(r.output)); i++) {
            await sleep(100)
            r = await shell.run(step.text, step.lang)
          }
          if (process.env.GUIDE_SHOW) t.comment(`$ ${step.text}\n${r.output}`)
          const lines = linesOf(r.output)
          if (step.expected.length) {
            const problem = guide.matchLines(step.expected, lines)
            t.notOk(problem, `${where}${step.lang === 'ko' ? ' (ko)' : ''}`, { problem, output: r.output })
          }
          if (step.english) {
            const problem = guide.matchLines(step.english, lines.filter((l) => !guide.KOREAN_HINT.test(l)))
            t.notOk(problem, `${where} (en: the output without its Korean hint)`, { problem, output: r.output })
          }
          t.equal(r.rc, step.status, `${where}: exit status`, { output: r.output })
          if (r.rc !== step.status) t.comment(machine.engineLog().slice(-2000))
          if (step.korean) {
            const ko = await shell.run(step.text, 'ko')
            const koLines = ko.output.split('\n')
            if (koLines.at(-1) === '') koLines.pop()
            const problem = guide.matchLines(step.korean, koLines)
            t.notOk(problem, `${where} (ko, run again)`, { problem, output: ko.output })
            t.equal(ko.rc, step.status, `${where} (ko, run again): exit status`, { output: ko.output })
          }
        }
      }
    })
    t.comment(`${ch.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
})
