#!/usr/bin/env node
// Builds the offline images into rootfs-cache/out/, from Debian packages only (see README.md):
//
//   out/busybox/        busybox:latest                      OCI image layout (skopeo copy oci:out/busybox ...)
//   out/busybox.tar     the same layout tarred, for `tocker load -i` / `docker load -i`
//   out/httpd-busybox/  httpd:busybox                       busybox's httpd, the tests' web server
//   out/hello-diamol/   diamol/ch02-hello-diamol:latest
//   out/debian/         debian:<codename>, :<version>, :latest   debootstrap minbase of this machine's release
//   out/httpd/          httpd:latest, httpd:2.4              Apache from Debian's packages, on debian
//
// The busybox-based images are reproducible: the same .deb and SOURCE_DATE_EPOCH (default: the
// busybox binary's mtime in the .deb) give the same digests. The Debian-based ones are not
// (debootstrap runs maintainer scripts): they are built once and kept; their .debs are cached in
// out/debs/, so a rebuild needs no network. Idempotent: an image whose stamp matches its inputs is
// not rebuilt.
//
// Usage: node rootfs-cache/build.mjs [--force] [--out DIR] [NAME...]
import { execFile } from 'node:child_process'
import { mkdir, readFile, rename, rm, stat, writeFile, copyFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { debVersion, extractDeb, fetchDeb } from './lib/debian.mjs'
import { debianSource, debootstrap, inChroot, trimRoot, writeAptSources } from './lib/debootstrap.mjs'
import { OciLayoutWriter, exists, fileDigest, sortEntries, tarLayout } from './lib/oci-layout.mjs'
import { treeEntries } from './lib/tree.mjs'
import { diffEntries } from './lib/tree-diff.mjs'
import { BUSYBOX_CONFIG, BUSYBOX_IMAGE, busyboxLayerEntries } from './recipes/busybox.mjs'
import { DEBIAN_CONFIG, debianNames } from './recipes/debian.mjs'
import { HELLO_DIAMOL_CONFIG, HELLO_DIAMOL_IMAGE, helloDiamolLayerEntries } from './recipes/hello-diamol.mjs'
import { HTTPD_BUSYBOX_CONFIG, HTTPD_BUSYBOX_IMAGE, httpdBusyboxLayerEntries } from './recipes/httpd-busybox.mjs'
import { HTTPD_IMAGES, HTTPD_PACKAGES, httpdConfig, httpdInstallScript } from './recipes/httpd.mjs'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
export const DEFAULT_OUT = join(here, 'out')
// Bump when a recipe changes, so existing outputs are rebuilt.
const RECIPE_VERSION = 2

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

/** The OCI platform of this machine's Debian architecture (images are built from its packages). */
export async function hostPlatform() {
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim()
  const oci = { amd64: ['amd64'], arm64: ['arm64', 'v8'], armhf: ['arm', 'v7'], armel: ['arm', 'v5'], i386: ['386'], ppc64el: ['ppc64le'], s390x: ['s390x'], riscv64: ['riscv64'] }[arch] ?? [arch]
  return { os: 'linux', architecture: oci[0], ...(oci[1] ? { variant: oci[1] } : {}) }
}

/** "docker.io/library/httpd:busybox" → "httpd:busybox" (what `docker save` writes in RepoTags). */
const shortName = (name) => name.replace(/^docker\.io\/(library\/)?/, '')

/**
 * What recipes share within one build: the busybox inputs, the Debian source, and the Debian root
 * tree (kept from this build's debootstrap, or unpacked again from out/debian's layer), each made
 * once, on first use. Trees live in a work directory on a local disk, removed by cleanup().
 */
class BuildContext {
  constructor({ outDir, debCache, workDir, log }) {
    Object.assign(this, { outDir, debCache, workDir, log })
    this.memo = new Map()
  }

  once(key, fn) {
    if (!this.memo.has(key)) this.memo.set(key, fn())
    return this.memo.get(key)
  }

  busybox() {
    return this.once('busybox', () => busyboxInputs(this.outDir, this.debCache))
  }

  platform() {
    return this.once('platform', hostPlatform)
  }

  debian() {
    return this.once('debian', debianSource)
  }

  /** A work directory of its own under workDir. */
  async work(name) {
    const dir = join(this.workDir, name)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    return dir
  }

  /** The Debian root: made by debootstrap (once per build). */
  debootstrapped() {
    return this.once('debootstrapped', async () => {
      const source = await this.debian()
      const root = await this.work('debian-root')
      const started = Date.now()
      this.log(`debian: debootstrap --variant=minbase ${source.suite} (${source.arch}) from ${source.mirror} …`)
      await debootstrap(source, root, join(this.debCache, `debootstrap-${source.suite}-${source.arch}`), (line) => /^[EW]: /.test(line) && this.log(`  ${line}`))
      await writeAptSources(root, source)
      await trimRoot(root)
      this.log(`debian: debootstrap took ${((Date.now() - started) / 1000).toFixed(0)} s`)
      return root
    })
  }

  /** The debian image's root as its layer holds it: this build's tree, or its layer unpacked. */
  debianRoot() {
    return this.once('debianRoot', async () => {
      if (this.memo.has('debootstrapped')) return this.memo.get('debootstrapped')
      const { layers, dir } = await layoutLayers(join(this.outDir, 'debian'))
      const root = await this.work('debian-unpacked')
      await run('tar', ['-xzpf', join(dir, 'blobs', 'sha256', layers[0].digest.slice(7)), '--numeric-owner', '-C', root])
      return root
    })
  }

  async cleanup() {
    await rm(this.workDir, { recursive: true, force: true })
  }
}

/** The layers of a built layout's (first) image: digests, sizes and diffIDs. */
async function layoutLayers(dir) {
  const blob = async (digest) => JSON.parse(await readFile(join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8'))
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'))
  const manifest = await blob(index.manifests[0].digest)
  const config = await blob(manifest.config.digest)
  return { dir, manifestDigest: index.manifests[0].digest, layers: manifest.layers.map((l, i) => ({ digest: l.digest, size: l.size, diffId: config.rootfs.diff_ids[i] })) }
}

/** The busybox layer and its history line, shared by the busybox-based images. */
async function busyboxLayer(w, ctx) {
  const inputs = await ctx.busybox()
  return { layer: await w.layer(await busyboxBaseEntries(inputs)), history: `busybox-static ${inputs.version} with applet links, /etc/passwd` }
}

const busyboxStamp = async (ctx) => {
  const inputs = await ctx.busybox()
  return { busybox: inputs.version, mtime: inputs.mtime }
}

/**
 * Each image: its names, what decides whether it is up to date (stamp), and how to write it.
 * `requires`: images that must be built first. Built in this order.
 */
const RECIPES = {
  busybox: {
    names: async () => [BUSYBOX_IMAGE],
    stamp: busyboxStamp,
    async write(w, ctx) {
      const inputs = await ctx.busybox()
      const base = await busyboxLayer(w, ctx)
      return w.image({ layers: [base.layer], config: BUSYBOX_CONFIG, created: inputs.mtime, platform: await ctx.platform(), history: [base.history] })
    },
  },
  'httpd-busybox': {
    names: async () => [HTTPD_BUSYBOX_IMAGE],
    stamp: busyboxStamp,
    async write(w, ctx) {
      const inputs = await ctx.busybox()
      const base = await busyboxLayer(w, ctx)
      const site = await w.layer(httpdBusyboxLayerEntries(inputs.mtime), { sort: true })
      const history = [base.history, 'htdocs/index.html "It works!", httpd-foreground (busybox httpd)']
      return w.image({ layers: [base.layer, site], config: HTTPD_BUSYBOX_CONFIG, created: inputs.mtime, platform: await ctx.platform(), history })
    },
  },
  'hello-diamol': {
    names: async () => [HELLO_DIAMOL_IMAGE],
    stamp: busyboxStamp,
    async write(w, ctx) {
      const inputs = await ctx.busybox()
      const base = await busyboxLayer(w, ctx)
      const script = await w.layer(helloDiamolLayerEntries(inputs.mtime))
      return w.image({ layers: [base.layer, script], config: HELLO_DIAMOL_CONFIG, created: inputs.mtime, platform: await ctx.platform(), history: [base.history, 'cmd.sh: hostname, uname, ifconfig eth0'] })
    },
  },
  debian: {
    names: async (ctx) => debianNames(await ctx.debian()),
    stamp: async (ctx) => ({ debian: await ctx.debian() }),
    async write(w, ctx) {
      const source = await ctx.debian()
      const root = await ctx.debootstrapped()
      const created = Math.floor(Date.now() / 1000)
      const layer = await w.layer(await treeEntries(root, { mtime: created, owners: true }))
      return w.image({ layers: [layer], config: DEBIAN_CONFIG, created, platform: await ctx.platform(), history: [`debootstrap --variant=minbase ${source.suite} ${source.mirror}`] })
    },
  },
  httpd: {
    requires: ['debian'],
    names: async () => HTTPD_IMAGES,
    // Rebuilt with its base: a new debian image means a new base layer.
    stamp: async (ctx) => ({ debian: (await layoutLayers(join(ctx.outDir, 'debian'))).manifestDigest }),
    async write(w, ctx) {
      const base = await layoutLayers(join(ctx.outDir, 'debian'))
      const baseRoot = await ctx.debianRoot()
      const root = await ctx.work('httpd-root')
      await run('cp', ['-a', `${baseRoot}/.`, root])
      ctx.log(`httpd: apt-get install ${HTTPD_PACKAGES.join(' ')} in a copy of debian …`)
      const out = await inChroot(root, httpdInstallScript(), (line) => /^(E:|W:|AH\d+|Syntax)/.test(line) && ctx.log(`  ${line}`))
      const version = out.trim().split('\n').pop()
      await trimRoot(root)
      const created = Math.floor(Date.now() / 1000)
      // The base layer is the debian image's own blob: the same digest, stored once.
      await copyFile(join(base.dir, 'blobs', 'sha256', base.layers[0].digest.slice(7)), join(w.blobs, base.layers[0].digest.slice(7)))
      const apache = await w.layer(await diffEntries(baseRoot, root, { mtime: created }))
      const history = ['debian (base layer)', `apt-get install ${HTTPD_PACKAGES.join(' ')} (${version}); /usr/local/apache2 as the official image lays it out`]
      return w.image({ layers: [base.layers[0], apache], config: httpdConfig(version), created, platform: await ctx.platform(), history })
    },
  },
}

export const IMAGE_NAMES = Object.keys(RECIPES)

/** Writes one image as a layout directory and a tarball, atomically (temp names, then rename). */
async function buildImage(name, recipe, ctx, mtime) {
  const { outDir } = ctx
  const layout = join(outDir, name)
  const tarball = join(outDir, `${name}.tar`)
  const tmpLayout = join(outDir, `.tmp-${name}-${process.pid}`)
  await rm(tmpLayout, { recursive: true, force: true })
  try {
    const w = await new OciLayoutWriter(tmpLayout).init()
    const manifest = await recipe.write(w, ctx)
    const names = await recipe.names(ctx)
    await w.indexJson(names.map((n) => ({ descriptor: manifest, name: n })))
    await w.dockerArchiveManifest([{ ...manifest, repoTags: names.map(shortName) }])
    await tarLayout(tmpLayout, `${tarball}.tmp-${process.pid}`, mtime)
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
 * Builds every image that is missing or stale (with `only`: those, and what they require).
 * @param {{ outDir?: string, debCache?: string, workDir?: string, force?: boolean, only?: string[], log?: (line: string) => void }} [opts]
 *   debCache: where .debs are kept and unpacked (default OUT/debs); workDir: where Debian trees are
 *   made (default /var/tmp: a local disk, as debootstrap needs)
 * @returns {Promise<Record<string, { layout: string, tarball: string, manifestDigest: string, tarballDigest: string, built: boolean, names: string[], seconds: number }>>}
 */
export async function buildRootfsCache({ outDir = DEFAULT_OUT, debCache, workDir, force = false, only, log = () => {} } = {}) {
  outDir = resolve(outDir)
  await mkdir(outDir, { recursive: true })
  for (const n of only ?? []) if (!RECIPES[n]) throw new Error(`no offline image named ${n} (there are: ${IMAGE_NAMES.join(', ')})`)
  const wanted = new Set(only ?? IMAGE_NAMES)
  for (const n of [...wanted]) for (const r of RECIPES[n].requires ?? []) wanted.add(r)
  const ctx = new BuildContext({ outDir, debCache: resolve(debCache ?? join(outDir, 'debs')), workDir: join(workDir ?? '/var/tmp', `tocker-rootfs-${process.pid}`), log })
  const result = {}
  try {
    for (const [name, recipe] of Object.entries(RECIPES)) {
      if (!wanted.has(name)) continue
      const layout = join(outDir, name)
      const tarball = join(outDir, `${name}.tar`)
      const stampFile = join(outDir, `${name}.stamp`)
      const stamp = JSON.stringify({ recipe: RECIPE_VERSION, ...(await recipe.stamp(ctx, outDir).catch(() => ({ missing: true }))) })
      const current = await readFile(stampFile, 'utf8').catch(() => '')
      let built = false
      const started = Date.now()
      // --force rebuilds what was asked for, not what it is built on.
      if ((force && (!only || only.includes(name))) || current !== stamp || !(await exists(join(layout, 'index.json'))) || !(await exists(tarball))) {
        await rm(stampFile, { force: true })
        const mtime = (await ctx.busybox()).mtime
        await buildImage(name, recipe, ctx, mtime)
        // A stamp that depends on the output of another image is computed after that one is built.
        await writeFile(stampFile, JSON.stringify({ recipe: RECIPE_VERSION, ...(await recipe.stamp(ctx, outDir)) }))
        built = true
      }
      const seconds = (Date.now() - started) / 1000
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'))
      const names = index.manifests.map((m) => m.annotations?.['io.containerd.image.name']).filter(Boolean).map(shortName)
      const info = { layout, tarball, manifestDigest: index.manifests[0].digest, tarballDigest: await fileDigest(tarball), built, names, seconds }
      result[name] = info
      const size = (await stat(tarball)).size
      log(`${name}: ${built ? `built in ${seconds.toFixed(1)} s` : 'up to date'} ${relative(process.cwd(), tarball)} (${(size / 1e6).toFixed(1)} MB: ${names.join(', ')})`)
    }
  } finally {
    await ctx.cleanup()
  }
  return result
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const outIdx = args.indexOf('--out')
  const only = args.filter((a, i) => !a.startsWith('--') && (outIdx < 0 || i !== outIdx + 1))
  buildRootfsCache({ outDir: outIdx >= 0 ? args[outIdx + 1] : DEFAULT_OUT, force: args.includes('--force'), only: only.length ? only : undefined, log: console.log }).catch((err) => {
    console.error(`rootfs-cache: ${err.message}`)
    process.exit(1)
  })
}
