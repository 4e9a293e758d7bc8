// posix_spawn(3): start a program without forking Node. glibc implements it with
// clone(CLONE_VM|CLONE_VFORK): the child borrows Node's memory until it execs, so nothing of a
// large process is copied (child_process.spawn forks, which copies Node's page tables: ~1 ms).
// Also waitpid(2), to reap such a child (libuv only reaps the children it started itself).
// Raw bindings; src/sys/spawn.ts traces them.
import { check, libc, SyscallError } from './libc.js'

export const POSIX_SPAWN_SETSIGDEF = 0x04
export const POSIX_SPAWN_SETSIGMASK = 0x08
export const POSIX_SPAWN_SETSID = 0x80
export const WNOHANG = 1

const F_DUPFD_CLOEXEC = 1030

// glibc's opaque types, with room to spare: posix_spawn_file_actions_t is 80 bytes,
// posix_spawnattr_t 336, sigset_t 128 on x86_64 and arm64.
const FILE_ACTIONS_SIZE = 256
const ATTR_SIZE = 512
const SIGSET_SIZE = 128

const spawn_ = libc.func('int posix_spawn(_Out_ int *pid, const char *path, void *file_actions, void *attr, const char **argv, const char **envp)')
const faInit = libc.func('int posix_spawn_file_actions_init(void *fa)')
const faDestroy = libc.func('int posix_spawn_file_actions_destroy(void *fa)')
const faAddDup2 = libc.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)')
const attrInit = libc.func('int posix_spawnattr_init(void *attr)')
const attrDestroy = libc.func('int posix_spawnattr_destroy(void *attr)')
const attrSetFlags = libc.func('int posix_spawnattr_setflags(void *attr, short flags)')
const attrSetSigMask = libc.func('int posix_spawnattr_setsigmask(void *attr, void *set)')
const attrSetSigDefault = libc.func('int posix_spawnattr_setsigdefault(void *attr, void *set)')
const sigemptyset = libc.func('int sigemptyset(void *set)')
const sigfillset = libc.func('int sigfillset(void *set)')
const fcntl_ = libc.func('int fcntl(int fd, int cmd, ...)')
const close_ = libc.func('int close(int fd)')
const waitpid_ = libc.func('int waitpid(int pid, _Out_ int *status, int options)')

/**
 * Start `path` with `argv` and `env`; child fd i gets our fd `fds[i]`. Signal mask emptied and
 * every signal back to its default (Node ignores SIGPIPE; that would be inherited). Returns the PID.
 */
export function posixSpawn(path: string, argv: string[], env: string[], fds: number[], flags: number): number {
  const fa = Buffer.alloc(FILE_ACTIONS_SIZE)
  const attr = Buffer.alloc(ATTR_SIZE)
  const empty = Buffer.alloc(SIGSET_SIZE)
  const all = Buffer.alloc(SIGSET_SIZE)
  // Copies above every target fd first (close-on-exec, so they vanish at exec): dup2 in order
  // could otherwise overwrite a source before it is used (e.g. fds [0, 1, 2, 4, 3]).
  const temps: number[] = []
  try {
    for (const fd of fds) temps.push(check(fcntl_(fd, F_DUPFD_CLOEXEC, 'int', fds.length) as number, 'fcntl', `fd ${fd}`))
    faInit(fa)
    attrInit(attr)
    try {
      temps.forEach((tmp, i) => faAddDup2(fa, tmp, i))
      sigemptyset(empty)
      sigfillset(all)
      attrSetSigMask(attr, empty)
      attrSetSigDefault(attr, all)
      attrSetFlags(attr, flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
      const pid = [0]
      const err = spawn_(pid, path, fa, attr, [...argv, null], [...env, null]) as number
      if (err !== 0) throw new SyscallError('posix_spawn', err, path)
      return pid[0]
    } finally {
      faDestroy(fa)
      attrDestroy(attr)
    }
  } finally {
    for (const t of temps) close_(t)
  }
}

/** waitpid(2): the raw status, or undefined with WNOHANG when the child has not ended. */
export function waitpid(pid: number, options: number): number | undefined {
  const status = [0]
  const r = check(waitpid_(pid, status, options) as number, 'waitpid')
  return r === 0 ? undefined : status[0]
}
