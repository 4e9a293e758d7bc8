// The calling thread's filesystem ids and effective capabilities: setfsuid(2), setfsgid(2),
// capget/capset(2). Raw bindings; src/sys/creds.ts traces them and says why they are needed.
// Like namespaces, these are per *thread* in the kernel: glibc's setfsuid/setfsgid are the bare
// syscalls (unlike setuid, which glibc broadcasts to every thread), and capset(pid 0) acts on the
// calling thread alone.
import { libc, lastErrno, SyscallError } from './libc.js'

const setfsuid_ = libc.func('int setfsuid(uint32_t fsuid)')
const setfsgid_ = libc.func('int setfsgid(uint32_t fsgid)')
const capget_ = libc.func('int capget(void *hdr, void *data)')
const capset_ = libc.func('int capset(void *hdr, void *data)')

/** setfsuid: returns the previous fsuid (the call reports no error; read it back to check). */
export function setfsuid(uid: number): number {
  return setfsuid_(uid) as number
}

export function setfsgid(gid: number): number {
  return setfsgid_(gid) as number
}

const LINUX_CAPABILITY_VERSION_3 = 0x20080522

function header(): Buffer {
  const h = Buffer.alloc(8)
  h.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0)
  h.writeInt32LE(0, 4) // 0: the calling thread
  return h
}

/**
 * Make the calling thread's effective capabilities its permitted ones again (the kernel drops
 * the file-related ones from the effective set when the fsuid goes from 0 to another id).
 */
export function raiseEffectiveToPermitted(): void {
  // Two struct __user_cap_data_struct { u32 effective, permitted, inheritable } (64 capabilities).
  const data = Buffer.alloc(24)
  if ((capget_(header(), data) as number) === -1) throw new SyscallError('capget', lastErrno(), 'self')
  data.writeUInt32LE(data.readUInt32LE(4), 0)
  data.writeUInt32LE(data.readUInt32LE(16), 12)
  if ((capset_(header(), data) as number) === -1) throw new SyscallError('capset', lastErrno(), 'self')
}
