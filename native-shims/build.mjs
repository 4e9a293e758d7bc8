// Builds the native helpers with the system C compiler: every native-shims/<name>/ folder holding .c
// files becomes one static binary native-shims/out/<name> (git-ignored). Each helper's main file says
// why that step cannot be done inside the Node process.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Libraries a helper links (statically, like everything here). */
const LIBRARIES = {
  // libseccomp (Debian's libseccomp-dev ships libseccomp.a): compiles the container's seccomp
  // profile into the BPF program the kernel runs on every syscall (seccomp/compile.c).
  seccomp: { flags: ['-lseccomp'], header: '/usr/include/seccomp.h', package: 'libseccomp-dev' },
}

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'out')
mkdirSync(out, { recursive: true })
for (const entry of readdirSync(here, { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name === 'out') continue
  const dir = join(here, entry.name)
  const files = readdirSync(dir).filter((f) => f.endsWith('.c') || f.endsWith('.h'))
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(dir, f))
  if (sources.length === 0) continue
  const bin = join(out, entry.name)
  const newest = Math.max(...files.map((f) => statSync(join(dir, f)).mtimeMs))
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) continue
  const libs = LIBRARIES[entry.name]
  if (libs && !existsSync(libs.header)) {
    console.error(`native-shims/${entry.name} needs ${libs.header}: install the Debian package ${libs.package} (sudo apt-get install ${libs.package}, or sudo bin/lab)`)
    process.exit(1)
  }
  // Static: the helper keeps running after pivot_root into an image that has no libc of ours.
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-static', '-o', bin, ...sources, ...(libs?.flags ?? [])], { stdio: 'inherit' })
  console.log(`built ${bin}`)
}
