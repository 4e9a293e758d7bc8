// Builds the native helpers with the system C compiler: every native-shims/<name>/ folder holding .c
// files becomes one static binary native-shims/out/<name> (git-ignored). Each helper's main file says
// why that step cannot be done inside the Node process.
//
// Helpers that link no library are linked with musl (Debian's musl-tools) when it is installed, the
// others with glibc. Why: a static glibc program runs glibc's CPU detection at every start (its
// string functions are picked per CPU), dozens of CPUID instructions, and on a virtual machine each
// CPUID traps to the hypervisor: ~6.6 µs each on the machines tocker is measured on, ~0.5 ms per
// exec of a program that does nothing (0.05 ms with musl). The shim is exec'd once per container and
// a container's creation waits for it. Without musl-gcc the same code is built with glibc.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
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
const gen = join(out, 'gen')
mkdirSync(gen, { recursive: true })

/** musl-gcc if installed: `which` without a shell. */
function findMusl() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'musl-gcc'))) return join(dir, 'musl-gcc')
  }
  return undefined
}
const musl = process.env.TOCKER_NO_MUSL ? undefined : findMusl()

/**
 * musl's own headers come without the kernel's (linux/, asm/, asm-generic/), which are the same for
 * every C library: a folder of links to the host's lets musl-gcc find them (and nothing else of
 * glibc's).
 */
function kernelHeaders() {
  const dir = join(gen, 'kernel-include')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  const multiarch = execFileSync('cc', ['-print-multiarch'], { encoding: 'utf8' }).trim()
  symlinkSync('/usr/include/linux', join(dir, 'linux'))
  symlinkSync('/usr/include/asm-generic', join(dir, 'asm-generic'))
  symlinkSync(existsSync(`/usr/include/${multiarch}/asm`) ? `/usr/include/${multiarch}/asm` : '/usr/include/asm', join(dir, 'asm'))
  return dir
}

/** out/gen/errno-text.c: glibc's errno names and messages, asked of the host's glibc (shim/errno-text.h). */
function errnoTable() {
  const tool = join(gen, 'errno-table')
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', tool, join(here, 'errno-table.c')], { stdio: 'inherit' })
  const file = join(gen, 'errno-text.c')
  writeFileSync(file, execFileSync(tool, { encoding: 'utf8' }))
  return file
}

for (const entry of readdirSync(here, { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name === 'out') continue
  const dir = join(here, entry.name)
  const files = readdirSync(dir).filter((f) => f.endsWith('.c') || f.endsWith('.h'))
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(dir, f))
  if (sources.length === 0) continue
  const bin = join(out, entry.name)
  const libs = LIBRARIES[entry.name]
  const withMusl = !libs && musl !== undefined
  // The binary is rebuilt when a source, this script or the table's generator is newer, or when
  // the C library to link with changed (a marker file says which one the last build used).
  const marker = join(gen, `${entry.name}.${withMusl ? 'musl' : 'glibc'}`)
  const inputs = [...files.map((f) => join(dir, f)), fileURLToPath(import.meta.url), join(here, 'errno-table.c')]
  const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs))
  if (existsSync(bin) && existsSync(marker) && statSync(bin).mtimeMs >= newest) continue
  if (libs && !existsSync(libs.header)) {
    console.error(`native-shims/${entry.name} needs ${libs.header}: install the Debian package ${libs.package} (sudo apt-get install ${libs.package}, or sudo bin/lab)`)
    process.exit(1)
  }
  const needsErrno = files.includes('errno-text.h')
  const extra = needsErrno ? ['-I', dir, errnoTable()] : []
  // Static: the helper keeps running after pivot_root into an image that has no libc of ours.
  const [compiler, flags] = withMusl ? [musl, ['-isystem', kernelHeaders()]] : ['cc', []]
  execFileSync(compiler, ['-O2', '-Wall', '-Werror', '-static', ...flags, '-o', bin, ...sources, ...extra, ...(libs?.flags ?? [])], { stdio: 'inherit' })
  for (const f of readdirSync(gen)) if (f.startsWith(`${entry.name}.`)) rmSync(join(gen, f))
  writeFileSync(marker, '')
  console.log(`built ${bin} (${withMusl ? 'musl' : 'glibc'})`)
  if (!withMusl && !libs) console.log(`  (install musl-tools to link ${entry.name} with musl: each exec of it starts ~0.5 ms sooner on a virtual machine)`)
}
