// Makes Jazzer.js (@jazzer.js/core, coverage-guided, libFuzzer inside) runnable here and returns the
// environment to run it with.
//
// Why this file exists: the only Jazzer.js release whose native addon ships inside the npm package
// (4.0.0; older ones download it from GitHub at install time, which this lab cannot) is built against
// glibc 2.38 and GCC 13's libstdc++. Debian 13 has both and needs nothing. Debian 12 (glibc 2.36)
// refuses to load it for three symbols only: __isoc23_strtol/__isoc23_strtoul (C23's strtol, which
// differs only in accepting "0b" numbers) and std::ios_base_library_init() (GCC 13's way to run the
// iostream initialiser, which older libstdc++ runs by itself). So, on such a system:
//   1. a tiny C library provides the three symbols (forwarding to strtol/strtoul; the last is empty);
//   2. a copy of the addon gets its ELF version needs for GLIBC_2.38 / GLIBCXX_3.4.32 pointed at
//      versions the system has, and those three symbols unversioned (so the library above serves them);
//   3. Jazzer runs with that library in LD_PRELOAD and a require hook that loads the copy instead.
// Everything is made under test/.tmp/jazzer/ and nothing in node_modules is touched.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const work = join(repo, 'test', '.tmp', 'jazzer')
const require = createRequire(import.meta.url)

/** The prebuilt addon of @jazzer.js/fuzzer for this machine. */
function addonPath() {
  const pkg = dirname(require.resolve('@jazzer.js/fuzzer/package.json'))
  return join(pkg, 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`)
}

function loads(path, env = {}) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path)})`], { env: { ...process.env, ...env }, encoding: 'utf8' })
  return { ok: r.status === 0, why: r.stderr.split('\n').find((l) => /Error|version/.test(l)) ?? r.stderr.trim() }
}

const SHIM_C = `#include <stdlib.h>
long __isoc23_strtol(const char *s, char **e, int b) { return strtol(s, e, b); }
unsigned long __isoc23_strtoul(const char *s, char **e, int b) { return strtoul(s, e, b); }
void _ZSt21ios_base_library_initv(void) {}
`
const SHIMMED = new Set(['__isoc23_strtol', '__isoc23_strtoul', '_ZSt21ios_base_library_initv'])
// A version this system lacks -> one of the same library it has (both needed anyway by the addon).
const RETARGET = { 'GLIBC_2.38': 'GLIBC_2.2.5', 'GLIBCXX_3.4.32': 'GLIBCXX_3.4.20' }

/** Patch an ELF64 little-endian shared object as described above; returns the patched bytes. */
function patchElf(bytes) {
  const b = Buffer.from(bytes)
  const shoff = Number(b.readBigUInt64LE(0x28))
  const shentsize = b.readUInt16LE(0x3a)
  const shnum = b.readUInt16LE(0x3c)
  const sections = []
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize
    sections.push({ type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 0x18)), size: Number(b.readBigUInt64LE(o + 0x20)), link: b.readUInt32LE(o + 0x28) })
  }
  const dynsym = sections.find((s) => s.type === 11) // SHT_DYNSYM
  const versym = sections.find((s) => s.type === 0x6fffffff) // SHT_GNU_versym
  const verneed = sections.find((s) => s.type === 0x6ffffffe) // SHT_GNU_verneed
  if (!dynsym || !versym || !verneed) throw new Error('jazzer addon: not the ELF layout expected')
  const strtab = sections[dynsym.link]
  const str = (off) => {
    let e = strtab.offset + off
    while (b[e]) e++
    return b.toString('latin1', strtab.offset + off, e)
  }
  for (let i = 0; i < dynsym.size / 24; i++) {
    if (SHIMMED.has(str(b.readUInt32LE(dynsym.offset + i * 24)))) b.writeUInt16LE(1, versym.offset + i * 2) // VER_NDX_GLOBAL
  }
  const aux = []
  for (let vn = verneed.offset;;) {
    const count = b.readUInt16LE(vn + 2)
    let a = vn + b.readUInt32LE(vn + 8)
    for (let j = 0; j < count; j++) {
      aux.push({ at: a, name: str(b.readUInt32LE(a + 8)) })
      const next = b.readUInt32LE(a + 12)
      if (!next) break
      a += next
    }
    const next = b.readUInt32LE(vn + 12)
    if (!next) break
    vn += next
  }
  for (const x of aux) {
    const to = RETARGET[x.name]
    if (!to) continue
    const target = aux.find((y) => y.name === to)
    if (!target) throw new Error(`jazzer addon: no ${to} entry to retarget ${x.name} to`)
    b.writeUInt32LE(b.readUInt32LE(target.at), x.at) // vna_hash
    b.writeUInt32LE(b.readUInt32LE(target.at + 8), x.at + 8) // vna_name
  }
  return b
}

/**
 * Writes a file whole or not at all: made under a name of this process, then renamed into place.
 * The fuzz test files run at the same time (tap's jobs), and each calls jazzerEnv(): a plain rewrite
 * would truncate the addon or the library while another's fuzzer maps it (a short ELF, or SIGBUS);
 * one who has it open keeps the old inode across the rename.
 */
function writeWhole(path, write) {
  const tmp = `${path}.${process.pid}.tmp`
  write(tmp)
  renameSync(tmp, path)
}

/** The environment for running `jazzer` here (empty when the shipped addon loads as it is). */
export function jazzerEnv() {
  const addon = addonPath()
  const plain = loads(addon)
  if (plain.ok) return {}
  if (!/GLIBC|GLIBCXX/.test(plain.why)) throw new Error(`the Jazzer.js addon does not load: ${plain.why}`)
  mkdirSync(work, { recursive: true })
  const shim = join(work, 'libjazzer-glibc-compat.so')
  const patched = join(work, 'fuzzer.node')
  if (!existsSync(shim)) {
    const source = join(work, `compat.${process.pid}.c`)
    writeFileSync(source, SHIM_C)
    writeWhole(shim, (tmp) => execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', tmp, source]))
    rmSync(source)
  }
  writeWhole(patched, (tmp) => writeFileSync(tmp, patchElf(readFileSync(addon))))
  const hook = join(work, 'load-patched-addon.cjs')
  const hookSource = `const M = require('module'); const orig = M._resolveFilename;
M._resolveFilename = function (request, ...rest) {
  const r = orig.call(this, request, ...rest)
  return r === ${JSON.stringify(addon)} ? ${JSON.stringify(patched)} : r
}
`
  writeWhole(hook, (tmp) => writeFileSync(tmp, hookSource))
  const env = { LD_PRELOAD: shim, NODE_OPTIONS: `--require ${hook}` }
  const check = loads(addon, env)
  if (!check.ok) throw new Error(`the patched Jazzer.js addon does not load either: ${check.why}`)
  return env
}
