// Gets Debian packages without the internet at large: `apt-get download` talks only to the
// configured Debian mirror. Downloaded .debs are kept in a cache directory, so a rebuild is offline.
import { execFile } from 'node:child_process'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Path of PKG's .deb in cacheDir, downloading it with `apt-get download` if it is not there yet. */
export async function fetchDeb(pkg, cacheDir) {
  await mkdir(cacheDir, { recursive: true })
  const find = async (dir) => (await readdir(dir).catch(() => [])).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb')).sort()
  let found = await find(cacheDir)
  if (found.length === 0) {
    // Download into a private temp dir, then move: two builds at once never see half a file.
    const tmp = join(cacheDir, `.tmp-apt-${process.pid}`)
    await mkdir(tmp, { recursive: true })
    try {
      await run('apt-get', ['download', '-q', pkg], { cwd: tmp })
      for (const f of await find(tmp)) await rename(join(tmp, f), join(cacheDir, f))
    } catch (err) {
      // No apt lists yet (fresh machine) or no mirror: the apt cache may still hold the package.
      const cached = await find('/var/cache/apt/archives')
      if (cached.length === 0) {
        throw new Error(`cannot get the Debian package ${pkg}: \`apt-get download ${pkg}\` failed (${String(err.stderr || err.message).trim().split('\n').pop()}); run \`apt-get update\` first`, { cause: err })
      }
      await run('cp', [join('/var/cache/apt/archives', cached.at(-1)), cacheDir])
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
    found = await find(cacheDir)
  }
  return join(cacheDir, found.at(-1))
}

/** Unpacks a .deb's files (not its maintainer scripts) into dir, like `dpkg -x`. */
export async function extractDeb(deb, dir) {
  await mkdir(dir, { recursive: true })
  await run('dpkg-deb', ['-x', deb, dir])
}

/** The package's version, e.g. "1:1.35.0-4+deb12u1+b1". */
export async function debVersion(deb) {
  const { stdout } = await run('dpkg-deb', ['-f', deb, 'Version'])
  return stdout.trim()
}
