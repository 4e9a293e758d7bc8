#!/usr/bin/env node
// `npm run build`'s last step: the CLIs as CommonJS (dist/bundle/tocker.cjs with its chunks in
// dist/bundle/tocker/, dist/bundle/tocker-runtime.cjs one file), made by esbuild from the compiled
// tree (dist/src/). Why: a command's start-up was mostly Node loading ~20-60 ES modules one by one
// (resolve, read, compile, link each); a few CommonJS files are read and compiled in one go each,
// and bin/bundle-loader.cjs keeps V8's code cache of each, so a later start skips the compile too
// (Node 20 has no module.enableCompileCache). The tree stays runnable as it is: TOCKER_NO_BUNDLE=1 runs
// dist/src/ instead, and a missing bundle falls back to it.
//
// What the `tocker` bundle leaves out (imported at run time from dist/src/): the engine (`tocker
// daemon`) and the dashboard: their commands load the tree's modules when they run, so the client
// commands' file stays small (the engine's RSS is that of the tree, as before). `tocker runtime`
// runs tocker-runtime's commands from that CLI's own bundle (src/cli/commands/runtime.ts).
import { build, transform } from 'esbuild'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tree = join(repo, 'dist', 'src')
const out = join(repo, 'dist', 'bundle')
mkdirSync(out, { recursive: true })
// Old code caches belong to old bundles (V8 checks only the source's length): remove them.
for (const f of readdirSync(out)) if (f.endsWith('.cache')) rmSync(join(out, f))

/** Modules of the tree that the tocker bundle imports at run time instead of containing them. */
const LEFT_OUT = ['api/daemon.js', 'dashboard/server.js', 'dashboard/guard.js'].map((p) => join(tree, p))

// A left-out module's import() becomes __treeImport(path), path relative to dist/bundle/: a script
// compiled with vm.Script (as bin/bundle-loader.cjs does, for the code cache) cannot call import()
// itself on Node 20 without --experimental-vm-modules, so the loader hands it one
// (module.treeImport).
const TREE_MARK = 'tocker-tree:'

/**
 * import("node:fs"), import("tar") → require() (the same module; `default` is module.exports, as
 * import() of a CommonJS module gives), since code compiled by vm.Script cannot import().
 */
const IMPORT_REQUIRE = 'const __importRequire = (id) => Promise.resolve().then(() => { const m = require(id); return m && m.__esModule ? m : { ...m, default: m } });'
function withoutImportCalls(code) {
  const out = code.replace(/\bimport\("(?!tocker-tree:)([^"]+)"\)/g, '__importRequire("$1")')
  const left = out.match(/\bimport\((?!"tocker-tree:)/)
  if (left) throw new Error(`the bundle keeps an import() of a computed name: code compiled by vm.Script cannot import() (bin/bundle-loader.cjs)`)
  return out.replace('\n', `\n${IMPORT_REQUIRE}\n`)
}

/**
 * esbuild escapes non-ASCII characters in strings (charset: ascii) but keeps the few in comments it
 * leaves (a "…"): one such character makes V8 hold the whole 400 KB source as a two-byte string
 * (twice the memory, slower to scan when a function is compiled lazily). As escapes they are text.
 */
function asciiOnly(code) {
  return code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A bundle file as bin/bundle-loader.cjs compiles it: CommonJS code inside Node's module wrapper
 * (Module.wrap's text), written here once so the loader hands V8 the file's text as it is. Joined
 * at run time (as before), the wrapper cost a second copy of every file in V8's young generation:
 * with a command's ~15 chunks that was enough to set off a scavenge (2-9 ms) in every `tocker ps`.
 * So the files are not modules to require() themselves: only the loader runs them.
 */
function wrapped(code) {
  return `${WRAPPER}${asciiOnly(code)}\n});`
}
const WRAPPER = '(function (exports, require, module, __filename, __dirname) { '

const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const abs = resolve(args.resolveDir, args.path)
      if (!LEFT_OUT.includes(abs)) return undefined
      if (args.kind !== 'dynamic-import') throw new Error(`${relative(repo, args.importer)} imports ${args.path} statically: only a dynamic import() can be left out of the bundle`)
      return { path: `${TREE_MARK}${relative(out, abs)}`, external: true }
    })
  },
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Packages stay in node_modules (required where they are used, so a command that needs none loads
  // none; all of them have a CommonJS entry).
  packages: 'external',
  // import.meta.url in a CommonJS file: the bundle's own URL (src/package-root.ts finds the
  // checkout's root from it; the runtime's native helpers and schema validator walk up from it).
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: "'use strict';\nconst __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
  legalComments: 'none',
}

/** Where the tocker bundle's chunks go (beside its entry, dist/bundle/tocker.cjs). */
const CHUNKS = 'tocker'

/**
 * The tocker CLI, split (esbuild's code splitting, on ES modules) into an entry and one chunk per
 * command and per group of shared modules, each then turned into CommonJS (import/export become
 * require/exports, import() a require in a promise): a command reads and deserializes only its own
 * chunks' code, not every command's. Why it matters: in one `tocker ps` the single 466 KB file took
 * ~4.5 ms to read into a string and ~4 ms to deserialize from its code cache (quiet machine; a
 * fresh process pays for every page it touches), about half of ps's own JavaScript.
 */
async function buildTocker() {
  const { outputFiles, metafile } = await build({
    ...common,
    format: 'esm',
    metafile: true,
    splitting: true,
    entryPoints: { tocker: join(tree, 'cli', 'main.js') },
    outdir: out,
    chunkNames: `${CHUNKS}/[name]-[hash]`,
    entryNames: '[name]',
    outExtension: { '.js': '.cjs' },
    banner: undefined,
    plugins: [leaveOut],
    write: false,
  })
  rmSync(join(out, CHUNKS), { recursive: true, force: true })
  mkdirSync(join(out, CHUNKS))
  const codes = new Map()
  await Promise.all(outputFiles.map(async (f) => {
    let code = f.text.replace(/\bimport\("tocker-tree:([^"]+)"\)/g, '__treeImport("$1")')
    if (code.includes(TREE_MARK)) throw new Error(`${f.path}: a left-out module is imported in a way this script does not rewrite`)
    // import() of a chunk, a package or a builtin: a require() in a promise (vm.Script cannot import()).
    code = (await transform(code, { format: 'cjs', target: 'node20', platform: 'node', supported: { 'dynamic-import': false }, logLevel: 'warning' })).code
    if (/\bimport\(/.test(code)) throw new Error(`${f.path} keeps an import(): code compiled by vm.Script cannot import() (bin/bundle-loader.cjs)`)
    const prelude = ["'use strict';"]
    // import.meta.url, made when it is used (in a function: the package root's lookup, errno's
    // names), not when the chunk loads: node:url and pathToFileURL cost every command ~0.5 ms.
    if (code.includes('__bundle_url')) {
      code = code.replace(/\b__bundle_url\b/g, '__bundle_url()')
      prelude.push("const __bundle_url = () => require('node:url').pathToFileURL(__filename).href;")
    }
    if (code.includes('__treeImport(')) prelude.push('const __treeImport = module.treeImport;')
    code = lazyBuiltins(code, prelude)
    code = dropUnusedHelpers(chunkImports(getterExports(code, f.path)))
    codes.set(f.path, `${prelude.join('\n')}\n${code}`)
  }))
  const entry = join(out, 'tocker.cjs')
  const inEntry = withStaticRequires([entry, ...IN_ENTRY.map((m) => chunkOf(metafile, m))], codes)
  inEntry.delete(entry)
  for (const [path, code] of codes) writeFileSync(path, wrapped(path === entry ? embedding(code, inEntry, codes) : code))
}

/**
 * Modules (of dist/src/) whose chunks go inside the entry with the entry's own static requires: the
 * API client (every engine command's), `ps` and `images` with what they print with (their own
 * chunk files were 2-3 more files to open, read and compile for each: ~0.4-0.9 M instructions, and
 * the system calls), and what `run` loads before its create (embedding() says why). api/http1.js (the node:net client) is imported only
 * when a command first needs node:net (src/api/transport.ts): inside the entry it keeps the
 * entry's per-command code cache; a chunk file of its own would have one cache for every command,
 * written by whichever ran first (`run` compiled its functions from source in every run: +12 M
 * instructions).
 */
const IN_ENTRY = [
  'cli/engine.js',
  'api/http1.js',
  'cli/output.js',
  'api/json-message.js',
  'cli/format/field-rows.js',
  'cli/commands/ps.js',
  'cli/format/ps.js',
  'cli/commands/images.js',
  'cli/format/images.js',
  'cli/commands/run.js',
  'cli/container-options.js',
  'cli/with-help.js',
]

/**
 * Node's built-in modules a chunk imports, required at their first use instead of when the chunk
 * loads, but for the few that every command uses anyway (EAGER_BUILTINS: Node has loaded them
 * before the CLI's first line, and their require costs nothing). Why: a chunk's imports load with
 * it, whether or not the command gets to the code that uses them, and a user-land require of a
 * built-in costs even when Node loaded it for itself (its ES module facade is made then):
 * errors.ts's node:module cost every command ~0.7 M instructions (callgrind; `tocker ps` uses
 * none of it). esbuild writes a named import as `var import_node_x = require("node:x")` and each
 * use as a property of it (`import_node_x.name`), so a proxy that requires on its first property
 * read stands in for the module.
 */
const EAGER_BUILTINS = new Set(['node:fs', 'node:path', 'node:util', 'node:events', 'node:buffer'])
const LAZY_BUILTIN = 'const __lazyBuiltin = (id) => { let m; return new Proxy({}, { get: (_, key) => (m ??= require(id))[key] }) };'
function lazyBuiltins(code, prelude) {
  let lazy = false
  const out = code.replace(/^var (import_\w+) = require\("(node:[\w/]+)"\);$/gm, (line, name, id) => {
    if (EAGER_BUILTINS.has(id)) return line
    lazy = true
    return `var ${name} = __lazyBuiltin(${JSON.stringify(id)});`
  })
  if (lazy) prelude.push(LAZY_BUILTIN)
  return out
}

/**
 * A chunk's exports as one object of getters, instead of esbuild's CommonJS form: `__export` puts a
 * getter per name on an object, then `__toCommonJS` copies each onto the exports object as another
 * getter (reading the first one's descriptor), two closures and two Object.defineProperty calls per
 * name, each define a slow path of V8's (a map transition to an accessor). A command loads ~20
 * chunks with ~80 exports: ~1.8 M instructions of every `tocker ps` (callgrind) and ~18 KB of its
 * code cache. An object literal of getters is the same exports object for every reader: the same
 * names, each a getter of the live binding (so chunks that require each other still see what is
 * set so far), `__esModule` non-enumerable as esbuild makes it. A chunk whose exports are not in the
 * form below is left as it is; one that still calls __toCommonJS on its exports after this fails
 * the build (a new esbuild output to look at).
 */
function getterExports(code, path) {
  const form = /^var stdin_exports = \{\};\n__export\(stdin_exports, \{\n((?: {2}[\w$]+: \(\) => [\w$.]+,?\n)*)\}\);\nmodule\.exports = __toCommonJS\(stdin_exports\);$/m
  const m = code.match(form)
  if (!m) {
    if (code.includes('__toCommonJS(stdin_exports)')) throw new Error(`${path}: esbuild's exports are not in the form getterExports() rewrites`)
    return code
  }
  const getters = m[1].trimEnd().split('\n').filter(Boolean).map((line) => {
    const [, name, local] = line.match(/^ {2}([\w$]+): \(\) => ([\w$.]+),?$/)
    return `  get ${name}() {\n    return ${local};\n  }`
  })
  return code.replace(m[0], `module.exports = __defProp({\n${getters.join(',\n')}\n}, "__esModule", { value: true });`)
}

/**
 * A chunk's import() of another chunk as that chunk's exports object itself, not esbuild's
 * `__toESM` of it: a new object with each export copied on as one more getter (a closure and an
 * Object.defineProperty each, at every dynamic import of a command's run). Every chunk is an ES
 * module esbuild made CommonJS (`__esModule` set), for which __toESM adds no `default` and the copy
 * reads the same names: the object itself is the same namespace for `m.name` and destructuring.
 * Built-ins and packages keep __toESM (their `default` is their module.exports).
 */
function chunkImports(code) {
  return code.replace(/\b__toESM\((require\("\.\.?\/[^"]+\.cjs"\))\)/g, '$1')
}

/** esbuild's helpers that the rewrites above leave unused (each a closure or a property read at a chunk's start). */
function dropUnusedHelpers(code) {
  let out = code
  for (const helper of ['__toESM', '__create', '__getProtoOf', '__export', '__toCommonJS', '__copyProps', '__getOwnPropNames', '__hasOwnProp', '__getOwnPropDesc']) {
    const def = new RegExp(`^var ${helper} = (?:[^\\n]*;\\n|[^\\n]*\\{\\n(?:.*\\n)*?^\\};\\n|[^\\n]*\\(\\n(?:.*\\n)*?^\\)\\);\\n)`, 'm')
    const found = out.match(def)
    if (found && !new RegExp(`\\b${helper}\\b`).test(out.replace(found[0], ''))) out = out.replace(found[0], '')
  }
  return out
}

/** The path of the chunk (or dynamic entry) of the bundle that holds the tree's module `module`. */
function chunkOf(metafile, module) {
  const input = relative(process.cwd(), join(tree, module))
  const found = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === input || Object.hasOwn(o.inputs, input))
  if (!found) throw new Error(`no chunk of ${module} in the tocker bundle`)
  return resolve(found[0])
}

/**
 * `files` and the chunks they require() at their top (`var import_x = require("./…")`, not in a
 * promise: those are import()s), transitively.
 */
function withStaticRequires(files, codes) {
  const all = new Set()
  const add = (file) => {
    if (all.has(file)) return
    all.add(file)
    for (const [, rel] of codes.get(file).matchAll(/^var import_\w+ = require\("(\.\.?\/[^"]+)"\);$/gm)) add(join(dirname(file), rel))
  }
  for (const f of files) add(f)
  return all
}

/**
 * The entry's code with the chunks every command loads inside it (its own static requires, and
 * IN_ENTRY's chunks with theirs), each as the module function the loader would make
 * of its file: bin/bundle-loader.cjs runs these instead of reading those files (which stay, for
 * nothing else reads them). The file is then at least LARGE_STRING bytes long. Why: V8 puts each
 * file's source string in its young generation, and a command's ~15 files with ~110 KB of source
 * took `tocker ps` past the size (80 % of the 1 MB young space) at which V8 schedules a scavenge:
 * it ran in the loop turn after the request's connect() and before the connect callback that writes
 * the request (epoll reported the task's eventfd first), 3-9 ms on the critical path of every ps and
 * images. A string of 128 KB or more goes to V8's large object space instead, which that trigger does
 * not count (the old single 466 KB bundle never had this scavenge); and fewer files cost fewer
 * young objects (~3 KB each in the loader) and system calls.
 */
function embedding(code, files, codes) {
  // An array of path, function, path, function…: an object literal of ~27 properties was built one
  // map transition at a time, then listed by Object.entries, at every command's start.
  const fns = [...files].sort().map((f) => `${JSON.stringify(relative(out, f))}, function (exports, require, module, __filename, __dirname) {\n${codes.get(f)}\n}`)
  const [strict, ...rest] = code.split('\n')
  const text = `${strict}\nmodule.embed([\n${fns.join(',\n')}\n]);\n${rest.join('\n')}`
  const short = LARGE_STRING - WRAPPER.length - text.length - 4
  return short > 0 ? `${text}\n/*${' '.repeat(short)}*/` : text
}
/** V8's kMaxRegularHeapObjectSize (Node 20: 128 KB pages of 256 KB): longer strings are large objects. */
const LARGE_STRING = 128 * 1024 + 64

// The loader (bin/loader.cjs) as a bundle file: bin/tocker runs it through a code cache of its own
// (bin/tocker says why); old caches go with every build, as above.
writeFileSync(join(out, 'loader.cjs'), wrapped(readFileSync(join(repo, 'bin', 'loader.cjs'), 'utf8')))

await Promise.all([
  buildTocker(),
  // tocker-runtime contains its packages but koffi (a native addon): every command needs the
  // runtime library, whose ajv (~60 files) cost more to find and read one by one than to parse here.
  build({ ...common, packages: undefined, external: ['koffi'], entryPoints: [join(tree, 'runtime-cli', 'main.js')], outfile: join(out, 'tocker-runtime.cjs'), write: false }).then(({ outputFiles: [f] }) => {
    writeFileSync(f.path, wrapped(withoutImportCalls(f.text)))
  }),
])
console.log(`built ${relative(process.cwd(), out)}/tocker.cjs (+ ${CHUNKS}/), tocker-runtime.cjs`)
