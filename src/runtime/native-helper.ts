// Where the native helpers are: native-shims/out/<name>, found from this file in src/ (tests) or
// dist/src/ (the CLI); an environment variable may name another path.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TockerError } from '../errors.js'

export function locateNativeHelper(name: string, envVar: string): string {
  const candidates = [process.env[envVar]]
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++, dir = dirname(dir)) candidates.push(join(dir, 'native-shims', 'out', name))
  const found = candidates.find((c) => c && existsSync(c))
  if (!found) throw new TockerError(`tocker's native helper native-shims/out/${name} is not built`, { code: 'EINTERNAL', hint: "Run 'npm run build' (it compiles the native helpers; the seccomp one needs Debian's libseccomp-dev)." })
  return found
}
