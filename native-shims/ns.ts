// Namespaces: unshare(2), setns(2), sethostname(2). Raw bindings; src/sys/ns.ts traces them.
// Remember that in Node these act on the calling *thread* (the main thread): see src/runtime/namespaces.ts.
import { check, libc } from './libc.js'

// <sched.h> CLONE_NEW* flags (also the nstype argument of setns).
export const CLONE_NEWNS = 0x00020000
export const CLONE_NEWCGROUP = 0x02000000
export const CLONE_NEWUTS = 0x04000000
export const CLONE_NEWIPC = 0x08000000
export const CLONE_NEWUSER = 0x10000000
export const CLONE_NEWPID = 0x20000000
export const CLONE_NEWNET = 0x40000000
export const CLONE_NEWTIME = 0x00000080
export const CLONE_FS = 0x00000200
export const CLONE_FILES = 0x00000400

export const CLONE_FLAGS: Record<string, number> = {
  CLONE_NEWNS,
  CLONE_NEWCGROUP,
  CLONE_NEWUTS,
  CLONE_NEWIPC,
  CLONE_NEWUSER,
  CLONE_NEWPID,
  CLONE_NEWNET,
  CLONE_NEWTIME,
  CLONE_FS,
  CLONE_FILES,
}

const unshare_ = libc.func('int unshare(int flags)')
const setns_ = libc.func('int setns(int fd, int nstype)')
const sethostname_ = libc.func('int sethostname(const char *name, size_t len)')
const setdomainname_ = libc.func('int setdomainname(const char *name, size_t len)')

export function unshare(flags: number): void {
  check(unshare_(flags) as number, 'unshare')
}

export function setns(fd: number, nstype: number): void {
  check(setns_(fd, nstype) as number, 'setns')
}

export function sethostname(name: string): void {
  check(sethostname_(name, Buffer.byteLength(name)) as number, 'sethostname')
}

export function setdomainname(name: string): void {
  check(setdomainname_(name, Buffer.byteLength(name)) as number, 'setdomainname')
}
