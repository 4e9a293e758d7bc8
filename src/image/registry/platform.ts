// Platforms ("linux/amd64", "linux/arm64/v8", "linux/arm/v7"): the host's, parsing --platform, and
// picking an image out of a multi-platform index the way containerd's platforms package does:
// names are normalised first (aarch64 → arm64, x86_64 → amd64, arm64/v8 → arm64, arm → arm/v7), then
// os and architecture must match; a wanted variant must match exactly, except that 32-bit ARM can run
// older variants (v7 runs v6 and v5 images).
import { arch } from 'node:process'
import { TockerError } from '../../errors.js'
import type { Platform } from '../types.js'

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase()
  let architecture = p.architecture.toLowerCase()
  let variant = p.variant?.toLowerCase() || undefined
  switch (architecture) {
    case 'i386':
      architecture = '386'
      variant = undefined
      break
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64'
      if (variant === 'v1') variant = undefined
      break
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64'
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = undefined
      break
    case 'armhf':
      architecture = 'arm'
      variant = 'v7'
      break
    case 'armel':
      architecture = 'arm'
      variant = 'v6'
      break
    case 'arm':
      if (!variant || variant === '7') variant = 'v7'
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`
      break
  }
  return variant ? { os, architecture, variant } : { os, architecture }
}

/** The platform this machine runs images of. */
export function hostPlatform(): Platform {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' }
  return normalizePlatform({ os: 'linux', architecture: map[arch] ?? arch })
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}

const KNOWN_OS = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'plan9', 'js', 'wasip1'])

/** Parse --platform: "os/arch[/variant]", or just "arch" (os linux) or "os" (host arch). */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/')
  const bad = () =>
    new TockerError(`invalid platform "${s}": expected the form os/arch[/variant], e.g. linux/amd64 or linux/arm64`, {
      code: 'EINVALIDPLATFORM',
    })
  if (parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) throw bad()
  if (parts.length === 1) {
    return KNOWN_OS.has(parts[0].toLowerCase())
      ? normalizePlatform({ ...hostPlatform(), os: parts[0] })
      : normalizePlatform({ os: 'linux', architecture: parts[0] })
  }
  return normalizePlatform({ os: parts[0], architecture: parts[1], variant: parts[2] })
}

/** Variants a wanted platform accepts, best first (undefined: any). */
function acceptedVariants(want: Platform): (string | undefined)[] | undefined {
  if (want.architecture === 'arm' && want.variant) {
    const order = ['v8', 'v7', 'v6', 'v5']
    return order.slice(order.indexOf(want.variant))
  }
  return want.variant ? [want.variant] : undefined
}

/**
 * Rank how well an entry's platform serves `want`: lower is better, -1 means it does not match.
 * Without a wanted variant every variant matches, the host's own (or none) first.
 */
export function platformRank(want: Platform, have: Platform | undefined): number {
  if (!have) return -1
  const w = normalizePlatform(want)
  const h = normalizePlatform(have)
  if (w.os !== h.os || w.architecture !== h.architecture) return -1
  const variants = acceptedVariants(w)
  if (!variants) return h.variant === undefined ? 0 : 1
  const i = variants.indexOf(h.variant)
  return i
}
