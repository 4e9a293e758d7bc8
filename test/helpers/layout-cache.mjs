// Builds OCI layouts once and keeps them under test/.tmp/fixtures/ (git-ignored). Plain JavaScript,
// so both the TypeScript tests (test/helpers/fixtures.ts) and the plain-node benchmarks
// (test/bench/*.mjs) use it. Safe when several test processes ask for the same layout at once:
// a lock file serialises the builders, each builds under a temporary name and renames.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { busyboxInputs, DEFAULT_OUT } from '../../rootfs-cache/build.mjs'
import { OciLayoutWriter, exists } from '../../rootfs-cache/lib/oci-layout.mjs'

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.tmp', 'fixtures')
/** The tag every cached layout holds its image under (`oci:DIR:latest`). */
export const FIXTURE_TAG = 'latest'

/**
 * A cross-process lock: O_EXCL-created file holding the holder's pid; a lock whose holder is gone
 * is taken over.
 */
export async function withLock(lockFile, fn) {
  await mkdir(dirname(lockFile), { recursive: true })
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      try {
        const holder = Number(readFileSync(lockFile, 'utf8'))
        if (holder) process.kill(holder, 0)
      } catch (e) {
        if (e.code === 'ESRCH') {
          try {
            unlinkSync(lockFile)
          } catch {}
          continue
        }
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  try {
    return await fn()
  } finally {
    try {
      unlinkSync(lockFile)
    } catch {}
  }
}

/**
 * The layout FIXTURES_DIR/NAME, built by `recipe(writer, inputs)` (which returns the descriptor
 * index.json points to) unless a build with the same version and inputs is there already.
 * @param {string} name
 * @param {number} version bump when the recipe changes
 * @param {(w: OciLayoutWriter, inputs: { busybox: string, version: string, mtime: number }) => Promise<{ mediaType: string, digest: string, size: number }>} recipe
 * @returns {Promise<string>} the layout directory
 */
export async function cachedLayout(name, version, recipe) {
  const layout = join(FIXTURES_DIR, name)
  const stampFile = join(FIXTURES_DIR, `${name}.stamp`)
  return withLock(join(FIXTURES_DIR, `.lock-${name}`), async () => {
    const inputs = await busyboxInputs(DEFAULT_OUT)
    const stamp = JSON.stringify({ v: version, busybox: inputs.version, mtime: inputs.mtime })
    if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp && (await exists(join(layout, 'index.json')))) return layout
    await rm(stampFile, { force: true })
    const tmp = join(FIXTURES_DIR, `.tmp-${name}-${process.pid}`)
    await rm(tmp, { recursive: true, force: true })
    try {
      const w = await new OciLayoutWriter(tmp).init()
      const descriptor = await recipe(w, inputs)
      await w.indexJson([{ descriptor, tag: FIXTURE_TAG }])
      await rm(layout, { recursive: true, force: true })
      await rename(tmp, layout)
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      throw err
    }
    await writeFile(stampFile, stamp)
    return layout
  })
}
