// The checkout's root (the directory of package.json), found from where this module's code runs:
// src/ (tests), dist/src/ (the compiled tree) or dist/bundle/ (the CLIs' bundles and their chunks, so
// a path relative to a module's own place would be wrong there). The walk stops at the first
// package.json upwards; dist/ holds none.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TockerError } from './errors.js'

let root: string | undefined

export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new TockerError(`no package.json above ${fileURLToPath(import.meta.url)}`, { code: 'ENOPACKAGEROOT', internal: true })
    dir = up
  }
  return (root = dir)
}

/** A path inside the checkout: packagePath('bin', 'tocker'). */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts)
}

/** package.json's version. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version
}
