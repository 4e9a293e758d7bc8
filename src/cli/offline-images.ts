// The offline images `bin/lab` builds beside this checkout (rootfs-cache/out/<name>.tar, from Debian's
// packages): which tarball holds an image, so that a pull that cannot reach its registry can say
// exactly what to load instead. Read only on that error path: each image's layout names it in
// rootfs-cache/out/<name>/index.json (a few hundred bytes each).
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { packagePath } from '../package-root.js'

export interface OfflineImage {
  /** The image's names, as Docker shortens them ("busybox:latest", "httpd:busybox"). */
  names: string[]
  tarball: string
}

/** rootfs-cache/out of this checkout. */
export function offlineDir(): string {
  return packagePath('rootfs-cache', 'out')
}

/** The offline images that are built; [] when there are none (an install without rootfs-cache). */
export function offlineImages(dir = offlineDir()): OfflineImage[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const out: OfflineImage[] = []
  for (const name of names.sort()) {
    const tarball = join(dir, `${name}.tar`)
    if (!existsSync(tarball)) continue
    try {
      const index = JSON.parse(readFileSync(join(dir, name, 'index.json'), 'utf8')) as { manifests?: { annotations?: Record<string, string> }[] }
      const imageNames = (index.manifests ?? []).map((m) => m.annotations?.['io.containerd.image.name']).filter((n): n is string => Boolean(n))
      out.push({ names: imageNames.map((n) => n.replace(/^docker\.io\/(library\/)?/, '')), tarball })
    } catch {
      // not an image layout (debs/, a half-built one): not offered
    }
  }
  return out
}

/** The offline image holding `image` (a familiar name with its tag, "busybox:latest"). */
export function offlineImageFor(image: string, images = offlineImages()): OfflineImage | undefined {
  return images.find((i) => i.names.includes(image))
}
