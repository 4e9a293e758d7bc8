// Whole-file replacement that readers never see half-done (the one implementation: image store, blobs,
// container records, runtime and network state): write a temporary file in the same
// directory tree, then rename(2) it over the target (rename is atomic within one file system).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, basename, join } from 'node:path'

/**
 * Write `data` to `path` atomically. The temporary file sits next to the target (or in `tmpDir`,
 * which must be on the same file system) and is fsync'd before the rename, so that after a crash
 * the target holds either the old or the new content, never an empty file.
 */
export function writeFileAtomic(path: string, data: Buffer | string, opts: { tmpDir?: string; mode?: number } = {}): void {
  const tmp = join(opts.tmpDir ?? dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o644)
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data
    let off = 0
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  try {
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}
