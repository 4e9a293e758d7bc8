// Checks of a create request's HostConfig that Docker's daemon makes before anything exists, with
// Docker's messages, so that any API client (not only tocker's CLI) gets them:
//   - mounts (-v SRC:DST[:MODE], --mount, --tmpfs): volumes/mounts.ts. A source that is not an
//     absolute path is a volume's name (`-v config.json:/x` is the volume "config.json", never a
//     file relative to the engine's working directory or the container's state directory).
//   - --security-opt and the seccomp profile it may carry (security-opts.ts).
//   - the json-file log options: max-size (a size: "10m", "1g", "500k"; decimal units as Docker's
//     go-units FromHumanSize) and max-file (an integer ≥ 1). A bad value must be refused here, not
//     silently turned into "no rotation" by the shim.
import { existsSync } from 'node:fs'
import { TockerError } from '../errors.js'
import type { HostConfig } from '../api/types.js'
import { checkSecurityOptions } from './security-opts.js'
import { planMounts } from './volumes/mounts.js'

function invalid(message: string): TockerError {
  return new TockerError(message, { code: 'EINVALID', daemon: true })
}

/**
 * go-units FromHumanSize, which Docker's json-file driver uses for max-size: a number with an
 * optional decimal unit (k, m, g, t, p; "b"/"B" and an "i" allowed after it: "10m", "10MB", "1.5g").
 */
export function parseLogSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value.trim())
  if (!m) throw invalid(`failed to initialize logging driver: invalid size: '${value}'`)
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g' | 't' | 'p']
  const bytes = Math.floor(Number(m[1]) * mult)
  if (bytes <= 0) throw invalid('failed to initialize logging driver: max-size must be a positive number')
  return bytes
}

/** Go's strconv.Atoi, as json-file reads max-file, then its own check. */
export function parseLogFiles(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw invalid(`failed to initialize logging driver: strconv.Atoi: parsing "${value}": invalid syntax`)
  const n = Number(value)
  if (n < 1) throw invalid('failed to initialize logging driver: max-file cannot be less than 1')
  return n
}

const LOG_OPTS = ['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']

export function checkLogConfig(lc: HostConfig['LogConfig']): void {
  if (!lc) return
  if (lc.Type && lc.Type !== 'json-file') {
    throw invalid(`logger: no log driver named '${lc.Type}' is registered`)
  }
  const cfg = lc.Config ?? {}
  for (const key of Object.keys(cfg)) if (!LOG_OPTS.includes(key)) throw invalid(`unknown log opt '${key}' for json-file log driver`)
  if (cfg['max-size'] !== undefined) parseLogSize(cfg['max-size'])
  if (cfg['max-file'] !== undefined) parseLogFiles(cfg['max-file'])
}

/** Everything in a create's HostConfig that can be refused before anything is made. */
export function checkHostConfig(hc: HostConfig | undefined): void {
  if (!hc) return
  // -v, --mount, --tmpfs: Docker's checks and words (volumes/mounts.ts); the image's VOLUMEs come later.
  for (const m of planMounts(hc, undefined, undefined)) {
    // --mount type=bind wants its source to exist (-v creates a missing one at start instead).
    if (m.Type === 'bind' && !m.CreateSource && !existsSync(m.Source)) throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`)
  }
  checkLogConfig(hc.LogConfig)
  checkSecurityOptions(hc)
}
