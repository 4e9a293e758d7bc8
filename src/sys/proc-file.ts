// Reading kernel-made files of another process (/proc/<pid>/mountinfo, status, cgroup) from the
// engine. They are the kernel's, not the container's, but the container decides how big and how
// slow some get (a privileged container can make 100 000 mounts, and mountinfo is generated on each
// read), and the pid may meanwhile name another process. So: asynchronously (a thread of libuv's
// pool does the read(2), never the engine's main thread), O_NONBLOCK|O_NOFOLLOW, a regular-file
// check on the open fd, and at most `cap` bytes (the rest is left unread: `truncated`).
import { constants, promises as fsp } from 'node:fs'
import { TockerError } from '../errors.js'

export interface ProcFile {
  text: string
  /** The file went on past `cap`: only its beginning was read. */
  truncated: boolean
}

export async function readProcFile(path: string, cap = 1 << 20): Promise<ProcFile> {
  const fh = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY)
  try {
    if (!(await fh.stat()).isFile()) throw new TockerError(`${path} is not a regular file`, { code: 'EINVAL', internal: true })
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.alloc(Math.min(64 * 1024, cap + 1 - total))
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      chunks.push(buf.subarray(0, bytesRead))
      total += bytesRead
      if (total > cap) break
    }
    const all = Buffer.concat(chunks)
    return { text: all.subarray(0, cap).toString('utf8'), truncated: total > cap }
  } finally {
    await fh.close()
  }
}
