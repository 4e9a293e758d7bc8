// Reading an OCI bundle: <bundle>/config.json and the root filesystem it names. Pure checks, no
// kernel work: everything wrong with a bundle is reported here, before anything is made.
import { readFileSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { TockerError } from '../errors.js'
import { checkSeccomp } from './seccomp/filter.js'
import { checkConfigSchema } from './config-schema.js'
import { checkUserNamespace } from './userns.js'
import { OVERLAY_ANNOTATION, type OverlayRootfs, type Spec } from './spec.js'

export interface Bundle {
  /** Absolute path of the bundle directory. */
  path: string
  spec: Spec
  /** Absolute path where the root filesystem is (or will be mounted). */
  rootfs: string
  /** Set when the root is an overlay described by the dev.tocker.rootfs.overlay annotation. */
  overlay?: OverlayRootfs
}

function invalid(message: string): TockerError {
  return new TockerError(message, { code: 'EINVALID' })
}

export function loadBundle(dir: string): Bundle {
  const path = resolve(dir)
  let text: string
  try {
    text = readFileSync(resolve(path, 'config.json'), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw invalid(`JSON specification file config.json not found in bundle ${path}`)
    throw err
  }
  let spec: Spec
  try {
    spec = JSON.parse(text) as Spec
  } catch (err) {
    throw invalid(`config.json in bundle ${path} is not valid JSON: ${(err as Error).message}`)
  }
  checkConfigSchema(spec, 'config.json')
  return checkedBundle(path, spec)
}

export function checkedBundle(path: string, spec: Spec): Bundle {
  if (!spec || typeof spec !== 'object') throw invalid('config.json must hold a JSON object')
  if (!spec.root?.path) throw invalid('root.path is required in config.json')
  if (!spec.process) throw invalid('process is required in config.json')
  if (!Array.isArray(spec.process.args) || spec.process.args.length === 0) throw invalid('args must not be empty')
  if (!spec.process.cwd || !isAbsolute(spec.process.cwd)) throw invalid('cwd property must not be empty and must be an absolute path')
  checkUserNamespace(spec)
  if (spec.linux?.seccomp) checkSeccomp(spec.linux.seccomp)
  const rootfs = resolve(path, spec.root.path)
  const overlay = parseOverlay(spec.annotations?.[OVERLAY_ANNOTATION])
  let st
  try {
    st = statSync(rootfs)
  } catch {
    throw invalid(`rootfs (${rootfs}) does not exist`)
  }
  if (!st.isDirectory()) throw invalid(`rootfs (${rootfs}) is not a directory`)
  if (overlay) {
    for (const dir of [...overlay.lowerdir, overlay.upperdir, overlay.workdir]) {
      if (dir !== undefined && !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw invalid(`overlay layer directory ${dir} does not exist`)
    }
  }
  return { path, spec, rootfs, overlay }
}

export function parseOverlay(value: string | undefined): OverlayRootfs | undefined {
  if (value === undefined) return undefined
  let o: OverlayRootfs
  try {
    o = JSON.parse(value) as OverlayRootfs
  } catch {
    throw invalid(`annotation ${OVERLAY_ANNOTATION} is not valid JSON`)
  }
  if (!Array.isArray(o.lowerdir) || o.lowerdir.length === 0) throw invalid(`annotation ${OVERLAY_ANNOTATION}: lowerdir must list at least one directory`)
  if ((o.upperdir === undefined) !== (o.workdir === undefined)) throw invalid(`annotation ${OVERLAY_ANNOTATION}: upperdir and workdir go together`)
  if (o.volatile !== undefined && typeof o.volatile !== 'boolean') throw invalid(`annotation ${OVERLAY_ANNOTATION}: volatile must be true or false`)
  for (const dir of [...o.lowerdir, o.upperdir, o.workdir]) {
    if (dir === undefined) continue
    if (typeof dir !== 'string' || !isAbsolute(dir)) throw invalid(`annotation ${OVERLAY_ANNOTATION}: ${JSON.stringify(dir)} is not an absolute path`)
    // overlayfs splits its options at "," and lowerdir at ":"; such paths cannot be described.
    if (/[,:\\]/.test(dir)) throw invalid(`annotation ${OVERLAY_ANNOTATION}: ${dir} contains a character overlayfs cannot take (, : or \\)`)
  }
  return o
}
