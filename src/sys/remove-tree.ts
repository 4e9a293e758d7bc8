// rm -r of a small directory tree we own (a container's state dir), without Node's rmSync.
// fs.rmSync({ recursive: true }) tries rmdir(2) first and, on a directory with files in it, takes
// the ENOTEMPTY as a JavaScript exception (an Error with its stack captured) before it lists the
// directory and lstat(2)s every entry: ~0.1 ms for a state dir of two files, on the path of every
// container's delete. readdir's d_type already says which entries are directories, and the
// unlinks go first, so no call is expected to fail.
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'

/** Remove `dir` and everything in it; a dir (or an entry) already gone is fine (rm -rf). */
export function removeTree(dir: string): void {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code !== 'ENOTDIR') throw err
    return ignoreGone(() => unlinkSync(dir))
  }
  for (const e of entries) {
    const path = join(dir, e.name)
    // DT_UNKNOWN (a file system without d_type) reads as "not a directory": unlink then says EISDIR.
    if (e.isDirectory()) removeTree(path)
    else {
      ignoreGone(() => {
        try {
          unlinkSync(path)
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          if (code !== 'EISDIR' && code !== 'EPERM') throw err
          removeTree(path) // Linux says EISDIR for unlink of a directory (POSIX allows EPERM)
        }
      })
    }
  }
  ignoreGone(() => rmdirSync(dir))
}

function ignoreGone(fn: () => void): void {
  try {
    fn()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
