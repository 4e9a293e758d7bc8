// The lab guide's `vm` blocks (docs/lab/{en,ko}: what needs cgroup v2 with its controllers, e.g. a
// --memory limit that OOM-kills), run in the cgroup v2 VM as a learner types them in the lab VM: an
// engine with the default store and socket, busybox loaded from the offline images, `sudo` that
// just runs its command. The rest of the guide runs in test/docs/guide.test.ts; the chapters are
// read and paired the same way (test/docs/guide.ts): the same commands in both languages, a command
// whose Korean output differs runs under a Korean locale and must match both chapters. The same VM
// runs the lab VM's every-boot provisioning step (contrib/lab-provision.sh mounts).
import t from 'tap'
import { join } from 'node:path'
import { readdirSync } from 'node:fs'
import * as guide from '../docs/guide.js'
import { TOCKER_BIN } from '../integration/engine/harness.js'
// @ts-expect-error plain ESM helper without type declarations
import { ensureBuilt, qemuAvailable, REPO, runInVm, shellQuote } from './vm.mjs'

const LAB = join(REPO, 'docs', 'lab')
const MARK = '\x1eRC'
const files = readdirSync(join(LAB, 'en')).filter((f) => /^\d\d-.*\.md$/.test(f)).sort()
const steps: guide.Step[] = []
for (const f of files) {
  const { blocks, problems } = guide.pairChapters(guide.readChapter(join(LAB, 'en', f)), guide.readChapter(join(LAB, 'ko', f)), f)
  // test/docs/guide.test.ts names these; here they only mean that nothing can be run.
  if (problems.length) continue
  for (const b of blocks) if (b.flags.has('vm')) steps.push(...b.steps)
}

if (!qemuAvailable()) {
  t.fail('qemu-system-x86_64 is not installed: apt-get install qemu-system-x86 (bin/lab test does it)')
} else if (steps.length === 0) {
  t.pass('the guide has no vm blocks')
} else {
  ensureBuilt()
  const tocker = `${process.execPath} ${TOCKER_BIN}`
  const setup = [
    'set -e',
    'mkdir -p /tmp/guide/bin /tmp/guide/work && cd /tmp/guide/work',
    `printf '#!/bin/sh\\nexec "$@"\\n' > /tmp/guide/bin/sudo`,
    `printf '#!/bin/sh\\nexec ${tocker} "$@"\\n' > /tmp/guide/bin/tocker`,
    'chmod +x /tmp/guide/bin/sudo /tmp/guide/bin/tocker',
    'export PATH=/tmp/guide/bin:$PATH TOCKER_NO_AUTOSTART=1',
    'tocker daemon >/tmp/guide/engine.log 2>&1 &',
    'i=0; until tocker ps -q >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 120 ] || { cat /tmp/guide/engine.log; exit 1; }; sleep 1; done',
    `tocker load -q -i ${shellQuote(join(REPO, 'rootfs-cache/out/busybox.tar'))} >/dev/null`,
    // The lab VM's provisioning, its every-boot part, on this VM's own kernel: node_modules bind-mounted
    // once however often it runs (test/docs/lab-vm.test.ts checks the rest of the script on the host).
    'mkdir -p /tmp/lab/project',
    `for i in 1 2; do TOCKER_LAB_DIR=/tmp/lab/project TOCKER_LAB_LOCAL=/tmp/lab/local sh ${shellQuote(join(REPO, 'contrib/lab-provision.sh'))} mounts; done`,
    'echo x > /tmp/lab/project/node_modules/x',
    'echo "LAB-MOUNTS $(grep -c " /tmp/lab/project/node_modules " /proc/self/mountinfo) $(cat /tmp/lab/local/node_modules/x)"',
    'echo GUIDE-READY',
    'set +e',
    'exec 2>&1',
  ]
  const body = steps.map((s, i) => [`__rc=$?; export LANG=${guide.LOCALES[s.lang]}; (exit $__rc)`, `{ ${s.text}\n} </dev/null`, `__rc=$?; printf '\\n${MARK} ${i} %d\\036\\n' "$__rc"; (exit $__rc)`].join('\n'))
  const run = await runInVm([...setup, ...body, 'tocker ps -aq | xargs -r tocker rm -f >/dev/null', 'exit 0'].join('\n'), { cwd: '/', timeoutMs: 240_000 })
  t.comment(`VM: boot ${((run.bootMs ?? NaN) / 1000).toFixed(1)} s, total ${(run.totalMs / 1000).toFixed(1)} s, ${steps.length} commands`)

  t.test('the VM set up a lab machine and ran every vm block of the guide', async (t) => {
    t.match(run.output, /^GUIDE-READY$/m, 'engine started, busybox loaded', { output: run.output.slice(-3000) })
    t.equal(run.exitCode, 0, 'the guest finished', { console: run.console.slice(-3000) })
    t.match(run.output, /^LAB-MOUNTS 1 x$/m, "contrib/lab-provision.sh mounts, run twice: one bind mount, node_modules on the VM's disk")
  })

  t.test('each command printed what the chapters show', async (t) => {
    let rest = run.output.slice(run.output.indexOf('GUIDE-READY'))
    rest = rest.slice(rest.indexOf('\n') + 1)
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]
      const where = `${s.where} (VM): $ ${s.text.split('\n')[0]}`
      const m = new RegExp(`\\n?${MARK} ${i} (\\d+)\\x1e\\n`).exec(rest)
      if (!m) {
        t.fail(`${where}: never finished`, { output: rest.slice(-3000) })
        break
      }
      const output = rest.slice(0, m.index).replace(/\r/g, '')
      rest = rest.slice(m.index + m[0].length)
      const lines = output.split('\n')
      if (lines.at(-1) === '') lines.pop()
      if (s.expected.length) t.notOk(guide.matchLines(s.expected, lines), `${where}${s.lang === 'ko' ? ' (ko)' : ''}`, { problem: guide.matchLines(s.expected, lines), output })
      if (s.english) {
        const en = lines.filter((l: string) => !guide.KOREAN_HINT.test(l))
        t.notOk(guide.matchLines(s.english, en), `${where} (en: the output without its Korean lines)`, { problem: guide.matchLines(s.english, en), output })
      }
      t.equal(Number(m[1]), s.status, `${where}: exit status`, { output })
    }
  })
}
