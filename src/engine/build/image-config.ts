// The image config a build step (or `tocker commit`) writes, and the texts Docker's classic builder
// records with it:
//   history created_by   "/bin/sh -c #(nop)  ENV A=b" for a metadata step (two blanks: Docker
//                        joins ["/bin/sh", "-c", "#(nop) ", "ENV A=b"] with one), "/bin/sh -c
//                        #(nop) COPY file:<hash> in /dst " for COPY/ADD/WORKDIR (one string), the
//                        command itself for RUN ("/bin/sh -c make", "|1 V=2 /bin/sh -c make" when
//                        build args reach it);
//   empty_layer          true when the step's diff was empty (the layer is then not added);
//   Go's %q and %v       CMD/ENTRYPOINT are shown as Go prints a []string: ["/bin/sh" "-c" "x"].
import { createHash } from 'node:crypto'
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../../image/types.js'

/** Docker's `%q` of a []string: ["a" "b"]. */
export function goQuoteList(items: string[]): string {
  return `[${items.map(goQuote).join(' ')}]`
}

/** Docker's `%v` of a []string: [a b]. */
export function goList(items: string[]): string {
  return `[${items.join(' ')}]`
}

/** Go's strconv.Quote for the strings Dockerfiles hold (printable text; control characters escaped). */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === '"' || ch === '\\') out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0')
    else out += ch
  }
  return out + '"'
}

/** HEALTHCHECK's history text: Go's %q of a *HealthConfig (its durations in Go's notation). */
export function goHealthcheck(h: NonNullable<ContainerConfig['Healthcheck']>): string {
  const d = (ns = 0) => goDuration(ns)
  return `&{${goQuoteList(h.Test ?? [])} ${goQuote(d(h.Interval))} ${goQuote(d(h.Timeout))} ${goQuote(d(h.StartPeriod))} ${goQuote(d(h.StartInterval))} '${h.Retries ? `\\x${h.Retries.toString(16).padStart(2, '0')}` : '\\x00'}'}`
}

/** Go's time.Duration.String(): "1m30s", "500ms", "0s". */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s'
  if (ns < 1e3) return `${ns}ns`
  if (ns < 1e6) return `${trimZeros(ns / 1e3)}µs`
  if (ns < 1e9) return `${trimZeros(ns / 1e6)}ms`
  let s = ns / 1e9
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trimZeros(Number(s.toFixed(9)))}s`
}

function trimZeros(n: number): string {
  return String(Number(n.toFixed(9)))
}

/** ["/bin/sh", "-c", "#(nop) ", comment] joined: the form most instructions record. */
export function nopComment(shell: string[], comment: string): string[] {
  return [...shell, '#(nop) ', comment]
}

/** ["/bin/sh", "-c", "#(nop) " + comment]: COPY, ADD and WORKDIR's one-string form. */
export function nopCommentString(shell: string[], comment: string): string[] {
  return [...shell, `#(nop) ${comment}`]
}

/** The run config, its keys in the order Docker writes them (OCI's, then Docker's additions). */
export function orderedConfig(c: ContainerConfig): ContainerConfig {
  const out: ContainerConfig = {}
  const keys: (keyof ContainerConfig)[] = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped', 'Healthcheck', 'OnBuild', 'Shell']
  for (const k of keys) {
    const v = c[k]
    if (v === undefined || v === null || v === '' || v === false) continue
    if (Array.isArray(v) && v.length === 0 && k !== 'Entrypoint' && k !== 'Cmd') continue
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue
    ;(out as Record<string, unknown>)[k] = sortedObject(v)
  }
  return out
}

function sortedObject(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v
  const o: Record<string, unknown> = {}
  for (const k of Object.keys(v as object).sort()) o[k] = (v as Record<string, unknown>)[k]
  return o
}

export interface ChildImage {
  parent: ImageConfig | undefined
  config: ContainerConfig
  /** The new layer's DiffID, or undefined for an empty diff (empty_layer). */
  diffID?: string
  createdBy: string
  author?: string
  comment?: string
  created: string
  /** For a FROM scratch stage: the platform to record. */
  platform: { os: string; architecture: string; variant?: string }
}

/** A step's image config: the parent's layers and history plus this step's (Docker's NewChildImage). */
export function childImageConfig(a: ChildImage): Buffer {
  const history: HistoryEntry[] = [...(a.parent?.history ?? [])]
  const entry: HistoryEntry = { created: a.created, created_by: a.createdBy }
  if (a.author) entry.author = a.author
  if (a.comment) entry.comment = a.comment
  if (!a.diffID) entry.empty_layer = true
  history.push(entry)
  const diffIDs = [...(a.parent?.rootfs?.diff_ids ?? [])]
  if (a.diffID) diffIDs.push(a.diffID)
  const doc: Record<string, unknown> = {
    architecture: a.parent?.architecture ?? a.platform.architecture,
    ...(a.author ? { author: a.author } : {}),
    config: orderedConfig(a.config),
    created: a.created,
    history,
    os: a.parent?.os ?? a.platform.os,
    rootfs: { type: 'layers', diff_ids: diffIDs },
  }
  const variant = a.parent ? a.parent.variant : a.platform.variant
  if (variant) doc.variant = variant
  return Buffer.from(JSON.stringify(doc))
}

/**
 * The build cache's key of a step: what Docker's cache compares (the container config the step
 * ran with, its Cmd standing for the instruction, and for COPY/ADD the content hash of the
 * sources); the parent image is the other half of the lookup (ImageStore.cachedChild).
 */
export function cacheKey(probe: ContainerConfig, extra = ''): string {
  const c = orderedConfig(probe)
  return createHash('sha256').update(JSON.stringify([c, extra])).digest('hex')
}
