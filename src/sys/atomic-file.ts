// Whole-file replacement that readers never see half-done (the one implementation: image store, blobs,
// container records, runtime and network state): write a temporary file in the same
// directory tree, then rename(2) it over the target (rename is atomic within one file system).
import { closeSync, fdatasync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'

/**
 * Write `data` to `path` atomically. The temporary file sits next to the target (or in `tmpDir`,
 * which must be on the same file system) and is fsync'd before the rename, so that after a crash
 * the target holds either the old or the new content, never an empty file.
 * `durable: false` skips the fsync: readers still never see half a file while the machine runs
 * (a process that dies mid-way leaves its writes in the page cache, and the rename is atomic), but
 * after a power loss or kernel crash the target may be empty (ext4 allocates the blocks of a new
 * file late, after the rename may already be in the journal). Only for files whose content means
 * nothing after a reboot, whose readers recognise that case (the runtime's state.json, state.ts).
 */
export function writeFileAtomic(path: string, data: Buffer | string, opts: { tmpDir?: string; mode?: number; durable?: boolean } = {}): void {
  const tmp = tempPath(path, opts.tmpDir)
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o644)
  try {
    writeAll(fd, data)
    if (opts.durable !== false) fsyncSync(fd)
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

/**
 * writeFileAtomic without blocking the caller's thread: the write and the fdatasync run on libuv's
 * thread pool (an fsync on a busy disk takes tens of milliseconds, all of them a stall for an
 * engine serving every client from one thread), then the rename. Same guarantee: after a crash
 * the target holds the old or the new content, whole. Callers that write one file from several
 * places must order their writes themselves (a later rename wins). `durable: false` leaves the
 * fdatasync out: readers still see the old or the new content whole, but after a crash of the
 * machine the file may be empty or cut short (the caller must know such a file for what it is).
 */
export async function writeFileAtomicAsync(path: string, data: Buffer | string, opts: { mode?: number; durable?: boolean; writeNow?: boolean } = {}): Promise<void> {
  if (opts.writeNow) return opts.durable === false ? writeFileAtomic(path, data, { mode: opts.mode, durable: false }) : writeNowSyncLater(path, data, opts.mode)
  const tmp = tempPath(path)
  const fh = await open(tmp, 'wx', opts.mode ?? 0o644)
  try {
    await fh.writeFile(data)
    if (opts.durable !== false) await fh.datasync()
  } catch (err) {
    // The write's error is the one to report; a close that fails after it adds nothing.
    await fh.close().catch(() => undefined)
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * `writeNow` (a small file, written while the caller's thread is about to be held): the temporary
 * file is opened and written at once, on the caller's thread (into the page cache: tens of
 * microseconds for a few kB), and only the fdatasync goes to libuv's pool, as one request. A chain
 * of fs/promises calls moves one step per turn of the event loop: while the thread is held (the
 * runtime's synchronous create, 15-60 ms) only its open would run, and the fsync would start after.
 * The close and the rename follow the fsync, as above. With `durable: false` there is no fsync to
 * wait for, and the whole write (open, write, close, rename: ~0.1 ms for a few kB) is done here,
 * on the caller's thread: four steps on the pool, each waiting for a turn of a busy event loop,
 * took 2-5 ms to land a container's record.
 */
async function writeNowSyncLater(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
  const tmp = tempPath(path)
  const fd = openSync(tmp, 'wx', mode)
  try {
    writeAll(fd, data)
    await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())))
  } catch (err) {
    closeSync(fd)
    await rm(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** The temporary file beside `path` (or in `dir`), named so that concurrent writers never meet. */
function tempPath(path: string, dir = dirname(path)): string {
  return join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
}

/** All of `data` into `fd`, on this thread (writeSync may write less than asked). */
function writeAll(fd: number, data: Buffer | string): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data
  let off = 0
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
}
