// Module hooks that run the tests' TypeScript through esbuild (one file at a time, types stripped,
// no type check: `npm run lint:types` does that). tap's own TypeScript plugin loads ts-node, which
// loads the TypeScript compiler and transpiles every imported source file with it in every test
// process: ~4 s of CPU per test file on this machine, most of the unit tier's time. esbuild does the
// same files in a few milliseconds. Registered by ./ts-loader.mjs (package.json: tap.node-arg).
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

// The build's own compiler options (target, class-field semantics), so a test runs the code tsc emits.
const tsconfigRaw = readFileSync(new URL('../../tsconfig.json', import.meta.url), 'utf8')

/** The sources import each other as `./x.js` (NodeNext style): that is `./x.ts` until built. */
export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('file:')) && context.parentURL?.startsWith('file:')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL)
    if (existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true }
  }
  return next(specifier, context)
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !/\.[cm]?ts$/.test(url)) return next(url, context)
  const path = fileURLToPath(url)
  const out = await transform(await readFile(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    sourcefile: path,
    sourcemap: 'inline',
    tsconfigRaw,
  })
  return { format: 'module', source: out.code, shortCircuit: true }
}
