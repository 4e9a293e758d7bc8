// A disk that fills up, for tests of what a full disk does: a small tmpfs mounted on a directory in
// the test's own mount namespace (run the test under netns-sandbox.mjs: `unshare --mount`, private
// propagation), so the mount goes away with the test even if it dies. fill() writes a filler file
// until the kernel says ENOSPC; free() removes it.
//
//   const disk = mountSmallDisk(env.root, '24m')   // before the engine starts
//   disk.fill(); …; disk.free(); …; disk.unmount()  // unmount before removing the directory
import { execFileSync } from 'node:child_process'
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface SmallDisk {
  /** Fill the file system to its last byte (then a 1-byte write fails with ENOSPC). */
  fill(): void
  free(): void
  /** Lazy unmount (MNT_DETACH): processes still using it keep it until they end. */
  unmount(): void
}

export function mountSmallDisk(dir: string, size: string, name = 'tocker-small-disk'): SmallDisk {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0711`, name, dir])
  const filler = join(dir, '.filler')
  return {
    fill() {
      const fd = openSync(filler, 'w')
      const chunk = Buffer.alloc(64 << 10, 0x78)
      try {
        for (let size = chunk.length; size >= 1;) {
          try {
            writeSync(fd, chunk, 0, size)
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
            size >>= 1
          }
        }
      } finally {
        closeSync(fd)
      }
      try {
        writeFileSync(join(dir, '.probe'), 'x')
        rmSync(join(dir, '.probe'))
        throw new Error(`${dir} is not full after fill()`)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      }
    },
    free() {
      rmSync(filler, { force: true })
    },
    unmount() {
      rmSync(filler, { force: true })
      execFileSync('umount', ['-l', dir])
    },
  }
}
