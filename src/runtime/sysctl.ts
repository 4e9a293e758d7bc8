// linux.sysctl: kernel settings that belong to the container's namespaces (net.* to its network
// namespace, kernel.shm*/msg*/sem and fs.mqueue.* to its IPC namespace). They are written through
// the container's own /proc/sys while Node's thread is in those namespaces: a /proc/sys/net file
// acts on the network namespace of whoever opens it. Docker uses this for, e.g.,
// net.ipv4.ip_unprivileged_port_start=0. Anything else would change the host, so it is refused.
import { TockerError } from '../errors.js'
import type { RootDir } from './root-dir.js'

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'])

export function checkSysctl(key: string, newNet: boolean, newIpc: boolean): void {
  const ipc = IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')
  const net = key.startsWith('net.')
  if ((ipc && newIpc) || (net && newNet)) return
  throw new TockerError(`sysctl "${key}" is not in a separate kernel namespace`, { code: 'EINVALID' })
}

export function applySysctls(root: RootDir, sysctl: Record<string, string>, newNet: boolean, newIpc: boolean): void {
  for (const [key, value] of Object.entries(sysctl)) {
    checkSysctl(key, newNet, newIpc)
    root.writeFile(`/proc/sys/${key.replace(/\./g, '/')}`, value)
  }
}
