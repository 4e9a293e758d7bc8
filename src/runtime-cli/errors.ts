// An error as runc words it on its log: the message alone (no "Error:", no hint), with runc's
// prefix for a failure of the container's own process ("unable to start container process: exec:
// \"foo\": executable file not found in $PATH" — podman turns that text into exit code 127, and
// "permission denied" into 126). Node's system errors become Go's "open /x: no such file or directory".
import { TockerError } from '../errors.js'
import { GateError } from '../runtime/index.js'

const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  EBUSY: 'device or resource busy',
  ENOSPC: 'no space left on device',
}

export function describeError(err: unknown): string {
  if (err instanceof GateError) return `unable to start container process: ${err.message}`
  // runc's sentinel, which engines look for ("does not exist" → not found).
  if (err instanceof TockerError && err.status === 404 && /^container \S+ does not exist$/.test(err.message)) return 'container does not exist'
  const e = err as NodeJS.ErrnoException
  if (e && typeof e === 'object' && e.syscall && e.code && !(e as { errno?: unknown }).constructor?.name?.startsWith('Tocker')) {
    return `${e.syscall}${e.path ? ` ${e.path}` : ''}: ${GO_ERRNO[e.code] ?? e.message}`
  }
  return e instanceof Error ? e.message : String(err)
}
