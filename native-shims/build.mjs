// Builds the native helpers (if any) with the system C compiler. Each helper's source says why it
// cannot be done inside the Node process. Output goes to native-shims/out/ (git-ignored).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'out')
mkdirSync(out, { recursive: true })
for (const file of readdirSync(here)) {
  if (!file.endsWith('.c')) continue
  const src = join(here, file)
  const bin = join(out, file.slice(0, -2))
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) continue
  // Static: the helper keeps running after pivot_root into an image that has no libc of ours.
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-static', '-o', bin, src], { stdio: 'inherit' })
}
