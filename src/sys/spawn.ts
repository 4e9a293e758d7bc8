// Traced process starts: posix_spawn (see native-shims/spawn.ts for why) and waitpid.
import * as native from '../../native-shims/spawn.js'
import { traced } from '../trace/trace.js'

export { POSIX_SPAWN_SETSID, WNOHANG } from '../../native-shims/spawn.js'

export function posixSpawn(path: string, argv: string[], env: string[], fds: number[], flags: number): number {
  return traced(
    'exec',
    'posix_spawn',
    () => `${argv[0] === path ? path : `${argv[0]} (from ${path})`} ${argv.slice(1).join(' ')}${flags & native.POSIX_SPAWN_SETSID ? ' (new session)' : ''}, fds ${fds.map((f, i) => `${i}←${f}`).join(' ')}`,
    () => native.posixSpawn(path, argv, env, fds, flags),
    (pid) => `pid ${pid}`,
  )
}

export function waitpid(pid: number, options = 0): number | undefined {
  return traced('syscall', 'waitpid', () => `${pid}${options & native.WNOHANG ? ', WNOHANG' : ''}`, () => native.waitpid(pid, options), (s) => (s === undefined ? 'running' : `status 0x${s.toString(16)}`))
}
