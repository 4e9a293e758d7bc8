// For benchmarks' exit handlers (plain JS, synchronous): wait until no process whose command line
// names `dir` (a store, a state root) is left; after ~5 s, end the stragglers by their pid.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export function processesNaming(dir) {
  return readdirSync('/proc').filter((p) => {
    try {
      return /^\d+$/.test(p) && Number(p) !== process.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)
    } catch {
      return false // gone meanwhile
    }
  })
}

export function waitForProcessesNaming(dir) {
  for (let i = 0; i < 50; i++) {
    const left = processesNaming(dir)
    if (left.length === 0) return
    if (i === 49) {
      for (const p of left) {
        try {
          process.kill(Number(p), 'SIGKILL')
        } catch {}
      }
    }
    spawnSync('sleep', ['0.1'])
  }
}
