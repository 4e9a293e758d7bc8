#!/usr/bin/env node
// Builds the offline images into rootfs-cache/out/, from Debian packages only:
//
//   out/busybox/      OCI image layout (skopeo copy oci:out/busybox:latest ..., umoci unpack ...)
//   out/busybox.tar   the same layout tarred, for `tocker load -i` / `docker load -i`
//   out/httpd/, out/httpd.tar
//
// Reproducible: the same .deb and SOURCE_DATE_EPOCH (default: the busybox binary's mtime in the
// .deb) give the same digests. Idempotent: an image whose stamp matches its inputs is not rebuilt.
//
// Usage: node rootfs-cache/build.mjs [--force] [--out DIR]
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { debVersion, extractDeb, fetchDeb } from './lib/debian.mjs'
import { OciLayoutWriter, exists, fileDigest, sortEntries, tarLayout } from './lib/oci-layout.mjs'
import { BUSYBOX_CONFIG, BUSYBOX_IMAGE, busyboxLayerEntries } from './recipes/busybox.mjs'
import { HTTPD_CONFIG, HTTPD_IMAGE, httpdLayerEntries } from './recipes/httpd.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const DEFAULT_OUT = join(here, 'out')
// Bump when a recipe changes, so existing outputs are rebuilt.
const RECIPE_VERSION = 1

/**
 * The inputs every busybox-based image shares: the static binary from the .deb and the timestamp.
 * Kept extracted under OUT/debs/, so it is fetched and unpacked once.
 * @returns {Promise<{ busybox: string, version: string, mtime: number }>}
 */
export async function busyboxInputs(outDir = DEFAULT_OUT, debs = join(outDir, 'debs')) {
  const deb = await fetchDeb('busybox-static', debs)
  const version = await debVersion(deb)
  const extracted = join(debs, `busybox-static_${version.replace(/[^\w.+-]/g, '_')}`)
  if (!(await exists(join(extracted, 'bin', 'busybox')))) {
    const tmp = `${extracted}.tmp-${process.pid}`
    await extractDeb(deb, tmp)
    await rename(tmp, extracted).catch(async (err) => {
      await rm(tmp, { recursive: true, force: true })
      if (!(await exists(extracted))) throw err // else another build won the race
    })
  }
  const busybox = join(extracted, 'bin', 'busybox')
  const mtime = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : Math.floor((await stat(busybox)).mtimeMs / 1000)
  return { busybox, version, mtime }
}

/** The busybox layer's entries, the base every busybox-based image (and fixture) shares. */
export async function busyboxBaseEntries(inputs) {
  return sortEntries(await busyboxLayerEntries(inputs.busybox, inputs.mtime))
}

const RECIPES = {
  busybox: {
    image: BUSYBOX_IMAGE,
    repoTag: 'busybox:latest',
    async write(w, inputs) {
      const base = await w.layer(await busyboxBaseEntries(inputs))
      return w.image({ layers: [base], config: BUSYBOX_CONFIG, created: inputs.mtime, history: [`busybox-static ${inputs.version} with applet links, /etc/passwd`] })
    },
  },
  httpd: {
    image: HTTPD_IMAGE,
    repoTag: 'httpd:latest',
    async write(w, inputs) {
      const base = await w.layer(await busyboxBaseEntries(inputs))
      const site = await w.layer(httpdLayerEntries(inputs.mtime), { sort: true })
      return w.image({
        layers: [base, site],
        config: HTTPD_CONFIG,
        created: inputs.mtime,
        history: [`busybox-static ${inputs.version} with applet links, /etc/passwd`, 'htdocs/index.html "It works!", httpd-foreground'],
      })
    },
  },
}

/** Writes one image as a layout directory and a tarball, atomically (temp names, then rename). */
async function buildImage(name, recipe, inputs, outDir) {
  const layout = join(outDir, name)
  const tarball = join(outDir, `${name}.tar`)
  const tmpLayout = join(outDir, `.tmp-${name}-${process.pid}`)
  await rm(tmpLayout, { recursive: true, force: true })
  try {
    const w = await new OciLayoutWriter(tmpLayout).init()
    const manifest = await recipe.write(w, inputs)
    await w.indexJson([{ descriptor: manifest, name: recipe.image }])
    await w.dockerArchiveManifest([{ ...manifest, repoTags: [recipe.repoTag] }])
    await tarLayout(tmpLayout, `${tarball}.tmp-${process.pid}`, inputs.mtime)
    if (await exists(layout)) {
      const old = join(outDir, `.tmp-old-${name}-${process.pid}`)
      await rename(layout, old)
      await rm(old, { recursive: true, force: true })
    }
    await rename(tmpLayout, layout)
    await rename(`${tarball}.tmp-${process.pid}`, tarball)
    return manifest
  } catch (err) {
    await rm(tmpLayout, { recursive: true, force: true })
    await rm(`${tarball}.tmp-${process.pid}`, { force: true })
    throw err
  }
}

/**
 * Builds every image that is missing or stale.
 * @param {{ outDir?: string, debCache?: string, force?: boolean, only?: string[], log?: (line: string) => void }} [opts]
 *   debCache: where .debs are kept and unpacked (default OUT/debs)
 * @returns {Promise<Record<string, { layout: string, tarball: string, manifestDigest: string, tarballDigest: string, built: boolean }>>}
 */
export async function buildRootfsCache({ outDir = DEFAULT_OUT, debCache, force = false, only, log = () => {} } = {}) {
  outDir = resolve(outDir)
  await mkdir(outDir, { recursive: true })
  const inputs = await busyboxInputs(outDir, debCache)
  const result = {}
  for (const [name, recipe] of Object.entries(RECIPES)) {
    if (only && !only.includes(name)) continue
    const layout = join(outDir, name)
    const tarball = join(outDir, `${name}.tar`)
    const stampFile = join(outDir, `${name}.stamp`)
    const stamp = JSON.stringify({ recipe: RECIPE_VERSION, busybox: inputs.version, mtime: inputs.mtime })
    const current = await readFile(stampFile, 'utf8').catch(() => '')
    let built = false
    if (force || current !== stamp || !(await exists(join(layout, 'index.json'))) || !(await exists(tarball))) {
      await rm(stampFile, { force: true })
      await buildImage(name, recipe, inputs, outDir)
      await writeFile(stampFile, stamp)
      built = true
    }
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'))
    const info = { layout, tarball, manifestDigest: index.manifests[0].digest, tarballDigest: await fileDigest(tarball), built }
    result[name] = info
    const size = (await stat(tarball)).size
    log(`${name}: ${built ? 'built' : 'up to date'} ${relative(process.cwd(), tarball)} (${(size / 1e6).toFixed(1)} MB, manifest ${info.manifestDigest}) and ${relative(process.cwd(), layout)}/`)
  }
  return result
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const outIdx = args.indexOf('--out')
  buildRootfsCache({ outDir: outIdx >= 0 ? args[outIdx + 1] : DEFAULT_OUT, force: args.includes('--force'), log: console.log }).catch((err) => {
    console.error(`rootfs-cache: ${err.message}`)
    process.exit(1)
  })
}
