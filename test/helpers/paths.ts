// Where things are in the repository, for tests that spawn bin/tocker, load dist/ into a worker or
// read fixtures. One place computes the repository root, so a test file can move between tiers
// (test/unit, test/integration) without its paths changing meaning.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root directory (no trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

/** A path inside the repository: repoPath('rootfs-cache', 'out', 'busybox.tar'). */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts)
}

/** The CLI as a user runs it (bin/tocker, which loads dist/). */
export const TOCKER_BIN = repoPath('bin', 'tocker')

/** The offline images rootfs-cache built (busybox.tar, …). */
export const OFFLINE_IMAGES = repoPath('rootfs-cache', 'out')

/** A compiled module under dist/src, e.g. distPath('image/unpack/tar-reader.js'). */
export function distPath(path: string): string {
  return repoPath('dist', 'src', path)
}
