// Waiting for a container some other process created (no exit socket of ours, see create.ts) to
// end: its exit code from the shim's exit.json. Without polling: inotify on the state directory
// tells of exit.json's arrival (the shim renames it into place, exit.c), and a pidfd of the shim
// and PID 1 of their end (sys/process-end.ts), for a shim that ends without writing it (killed;
// or runc's process model, where the caller has the status: 255 then). Only where neither can be
// had does it look every 2..100 ms, as it always did before (a wait of a container that ran a few
// seconds answered up to 100 ms after its exit).
import { watch, type FSWatcher } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { isSameProcess, type ProcessIdentity } from '../sys/proc-stat.js'
import { whenEnded } from '../sys/process-end.js'
import { readExit, stateDir, type StoredState } from './state.js'

/** One wait of the pidfds: setTimeout's longest (24.8 days); then it waits again. */
const PIDFD_WAIT_MS = 2 ** 31 - 1

export async function waitForExit(stateRoot: string, st: StoredState): Promise<number> {
  const procs: ProcessIdentity[] = [
    { pid: st.shimPid, startTime: st.shimStartTime },
    { pid: st.pid, startTime: st.pidStartTime },
  ]
  let arrived: () => void = () => {}
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(stateDir(stateRoot, st.id), (_event, file) => {
      if (String(file) === 'exit.json') arrived()
    })
    // The directory went away (a delete meanwhile): the pidfds alone tell of the end from here.
    watcher.on('error', () => watcher?.close())
  } catch (err) {
    // No inotify instance to be had (ENOSPC: max_user_watches; EMFILE: max_user_instances), or no
    // directory: the processes' end, or the looks below, tell it then.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOSPC' && code !== 'EMFILE' && code !== 'ENOENT') throw err
  }
  try {
    // Looked at once the watch is there: an arrival cannot fall between the look and the watch.
    for (let ended = whenEnded(procs, PIDFD_WAIT_MS);;) {
      const exit = readExit(stateRoot, st.id)
      if (exit) return exit.exitCode
      const written = new Promise<'written'>((resolve) => (arrived = () => resolve('written')))
      const r = await (watcher ? Promise.race([written, ended]) : ended)
      if (r === true) return readExit(stateRoot, st.id)?.exitCode ?? 255
      if (r === 'unsupported') return await lookForExit(stateRoot, st, procs)
      if (r === false) ended = whenEnded(procs, PIDFD_WAIT_MS)
    }
  } finally {
    watcher?.close()
  }
}

/** Without pidfds (kernel < 5.3, or a seccomp filter): exit.json looked for every 2..100 ms. */
async function lookForExit(stateRoot: string, st: StoredState, procs: ProcessIdentity[]): Promise<number> {
  for (let delay = 2;; delay = Math.min(delay * 2, 100)) {
    const exit = readExit(stateRoot, st.id)
    if (exit) return exit.exitCode
    if (!procs.some(isSameProcess)) return readExit(stateRoot, st.id)?.exitCode ?? 255
    await sleep(delay)
  }
}
