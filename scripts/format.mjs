#!/usr/bin/env node
// One code layout: `npm run format` rewrites, `npm run format:check` (in `npm run lint`) lists what differs.
// The dprint plugins (@dprint/typescript, @dprint/json) run through @dprint/formatter, dprint's own
// JavaScript host for its Wasm plugins, with the settings in dprint.json. Why not the `dprint` CLI package:
// it installs its binary as an optional dependency per platform, and a registry mirror without the other
// platforms' packages leaves package-lock.json without them, so `npm ci` refuses the lock on a fresh machine.
// Files are those git knows (tracked or untracked, not ignored) that match dprint.json's includes/excludes.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createContext } from '@dprint/formatter'
import json from '@dprint/json'
import typescript from '@dprint/typescript'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const check = process.argv.includes('--check')
const config = JSON.parse(fs.readFileSync(path.join(root, 'dprint.json'), 'utf8'))

const { lineWidth, indentWidth, useTabs, newLineKind } = config
const context = createContext({ lineWidth, indentWidth, useTabs, newLineKind })
context.addPlugin(fs.readFileSync(typescript.getPath()), config.typescript ?? {})
context.addPlugin(fs.readFileSync(json.getPath()), config.json ?? {})

const extensions = new Set(['.ts', '.js', '.mjs', '.cjs', '.json'])
// Exclude patterns as dprint (gitignore-like) reads them: "dir/" a directory, anchored at the root when it
// has another slash, any depth otherwise; a bare name any file of that name.
function excluded(file) {
  const parts = file.split('/')
  return config.excludes.some((pattern) => {
    if (pattern.endsWith('/')) {
      const dir = pattern.slice(0, -1)
      if (dir.includes('/')) return file.startsWith(pattern)
      return parts.slice(0, -1).includes(dir)
    }
    return pattern.includes('/') ? file === pattern : parts[parts.length - 1] === pattern
  })
}

const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
  .split('\0')
  .filter((f) => f && extensions.has(path.extname(f)) && !excluded(f) && fs.existsSync(path.join(root, f)))

const differ = []
for (const file of files) {
  const full = path.join(root, file)
  const text = fs.readFileSync(full, 'utf8')
  let formatted
  try {
    formatted = context.formatText({ filePath: full, fileText: text })
  } catch (err) {
    console.error(`format: ${file}: ${err.message}`)
    process.exitCode = 1
    continue
  }
  if (formatted === text) continue
  differ.push(file)
  if (!check) fs.writeFileSync(full, formatted)
}
if (check && differ.length > 0) {
  console.error(`format: ${differ.length} file(s) not formatted (run npm run format):\n  ${differ.join('\n  ')}`)
  process.exitCode = 1
} else if (!check) {
  console.log(`format: ${files.length} files, ${differ.length} rewritten`)
}
