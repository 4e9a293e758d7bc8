#!/usr/bin/env node
// Run one command inside the cgroup v2 test VM and exit with its exit code.
//   node test/vm/run-in-vm.mjs 'cat /sys/fs/cgroup/cgroup.controllers'
//   node test/vm/run-in-vm.mjs node -e 'console.log(1)'      (several words: each is quoted)
//   node test/vm/run-in-vm.mjs --quiet ...                    (print only the command's output)
// The guest sees this machine's / read-only under a throwaway tmpfs overlay, starts in the current
// directory, and has cgroup2 alone at /sys/fs/cgroup; /tmp, /run and /var/lib/tocker are tmpfs.
import { runInVm, shellQuote } from './vm.mjs'

let args = process.argv.slice(2)
const quiet = args[0] === '--quiet'
if (quiet) args = args.slice(1)
if (args.length === 0) {
  process.stderr.write('usage: node test/vm/run-in-vm.mjs [--quiet] COMMAND [ARG...]\n')
  process.exit(2)
}
const command = args.length === 1 ? args[0] : args.map(shellQuote).join(' ')
const log = quiet ? () => {} : (m) => process.stderr.write(`${m}\n`)
let pending = ''
let started = false
/** Kernel messages (the power-down line, OOM reports) share the console: leave them out. */
const isKernelLine = (line) => /^\[\s*\d+\.\d+\] /.test(line)
const result = await runInVm(command, {
  log,
  // Stream the guest's console line by line (a serial line: "\r\n" endings); the command's output
  // follows the READY line.
  onConsole: (text) => {
    const lines = (pending + text).split('\n')
    pending = lines.pop()
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '')
      if (!started) started = line === 'TOCKER-VM-READY'
      else if (!isKernelLine(line)) process.stdout.write(line + '\n')
    }
  },
})
if (started && pending && !isKernelLine(pending)) process.stdout.write(pending.replace(/\r$/, ''))
if (result.exitCode === undefined) {
  process.stderr.write(`vm: the guest did not finish (qemu ${JSON.stringify(result.qemuExit)}${result.timedOut ? ', timed out' : ''}); console:\n${result.console.slice(-4000)}\n`)
  process.exit(125)
}
log(`vm: boot ${(result.bootMs / 1000).toFixed(1)} s, total ${(result.totalMs / 1000).toFixed(1)} s, exit ${result.exitCode}`)
process.exit(result.exitCode)
