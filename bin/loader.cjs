// The loader of tocker's bundles. Runs a CLI from its bundle (dist/bundle/<name>.cjs, written by
// `npm run build`: scripts/bundle.mjs says why) through V8's code cache: the first run compiles it
// and saves the compiled code beside it (<name>.cjs.cache; the tocker entry's per command,
// tocker.cjs.<command>.cache: commandWord says why), later runs read that instead of compiling
// (Node 20 has no compile cache of its own). The tocker bundle is split: its entry requires chunks
// (dist/bundle/tocker/*.cjs, a command's own and the shared ones), each loaded here the same way
// with a cache of its own, so a command reads only its chunks. A missing bundle, or
// TOCKER_NO_BUNDLE=1, runs the compiled tree (dist/src/) instead.
//
// bin/tocker runs this file's copy in the bundle (dist/bundle/loader.cjs, made by npm run build)
// through a code cache of its own, like the bundle's files (bin/tocker says why), and this file
// itself where there is no bundle. Either way `require` and `__dirname` are bin/tocker's.
'use strict'
// Node's built-ins through process.getBuiltinModule (Node 20.16+) where there is one: the same
// modules, without the user-land require's resolution (Module._load, its cache, the builtin's
// facade): ~0.35 M instructions of every command for the first require (callgrind), and node:vm ~0.4 M.
const builtin = process.getBuiltinModule ?? require
const fs = builtin('node:fs')
/**
 * import(), which code compiled by vm.Script cannot call on Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING):
 * bin/tocker's own when it runs this file's copy in the bundle, else this file's.
 */
const dynamicImport = module.dynamicImport ?? ((specifier) => import(specifier))
/** The checkout's root: bin/'s parent (__dirname is bin/tocker's: absolute and normalised). */
const ROOT = __dirname.slice(0, __dirname.lastIndexOf('/'))

/** Run `main(argv)` of the bundle `name` (or of `treeEntry` under dist/src/); sets the exit code. */
module.exports = function run(name, treeEntry) {
  const dist = `${ROOT}/dist`
  // The engine (`tocker daemon`) runs from the tree, as before: it loads the tree's modules anyway,
  // and the bundle would only add its own copy of the CLI to a long-lived process's memory. (A
  // `daemon` that is some other word of the command line, e.g. an image's argument, only costs that
  // command the bundle's speed.)
  const daemon = name === 'tocker' && process.argv.includes('daemon')
  const key = name === 'tocker' ? commandWord(process.argv.slice(2)) : undefined
  const entry = process.env.TOCKER_NO_BUNDLE || daemon ? undefined : loadBundle(name, key)
  if (entry === undefined) {
    dynamicImport(`${dist}/src/${treeEntry}`).then(async (cli) => {
      process.exitCode = await cli.main(process.argv.slice(2))
    })
    return
  }
  entry.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
    saveCaches()
    // Once the process ends by itself (nothing left to do: every write, child and connection is
    // over), it exits from its 'exit' event instead of tearing down Node's environment and V8's
    // heap first, which the kernel frees at exit anyway: ~2-3 ms of every command (measured: from
    // the 'exit' event to the parent seeing the exit). Listeners added earlier (the command's own,
    // 'beforeExit' ones) have run by then. tocker only: tocker-runtime's native addon may have
    // cleanup of its own. process.reallyExit is what process.exit ends with once 'exit' has been
    // emitted (lib/internal/process/per_thread.js), as it has here; process.exit itself (and a
    // once-listener's wrapper) cost ~0.8 M instructions of first-call compiles.
    if (name === 'tocker') process.on('exit', (status) => (process.reallyExit ?? process.exit)(status))
  })
}

/**
 * The exports of the bundle `name` (or of `treeEntry` under dist/src/), and `ran()`, to call once
 * the command has run (it saves the code caches then). Also how one CLI runs another's commands:
 * `tocker runtime …` runs tocker-runtime's (src/cli/commands/runtime.ts).
 */
function load(name, treeEntry) {
  const exports = process.env.TOCKER_NO_BUNDLE ? undefined : loadBundle(name)
  if (exports === undefined) return dynamicImport(`${ROOT}/dist/src/${treeEntry}`).then((tree) => ({ exports: tree, ran: () => {} }))
  return Promise.resolve({ exports, ran: saveCaches })
}
module.exports.load = load

/**
 * The exports of the bundle `name` (dist/bundle/<name>.cjs), its main not run; undefined without
 * one. `key`: the entry's code cache is <entry>.<key>.cache (commandWord says why).
 */
function loadBundle(name, key) {
  const bundleDir = `${ROOT}/dist/bundle`
  return loadFile(`${bundleDir}/${name}.cjs`, bundleDir, true, key)
}

/**
 * The word of a tocker command line that names its command, as far as one can tell without its
 * parser: the first that looks like a command's name (`tocker --root /x run …`: run; an option's
 * value can pass for one, `--log-level debug ps`: debug, which only keys that command line's cache).
 * Why the entry's code cache is kept per command: V8 saves the functions compiled so far, and the
 * entry holds the code of several commands (scripts/bundle.mjs, IN_ENTRY). With one cache, the
 * first command after a build decided for all: run, after ps had written it, compiled its own
 * functions from the source in every run (~10 M instructions, callgrind; ~1 ms before the create
 * is sent), and a cache written by run made ps deserialize run's code. A command's first run
 * compiles the entry from its source once and writes its own.
 */
function commandWord(argv) {
  return argv.find((w) => /^[a-z][a-z0-9-]{1,19}$/.test(w))
}
module.exports.loadBundle = loadBundle

/** The bundles' files loaded so far (this process's require cache for them), by path. */
const loaded = new Map()
/**
 * Chunks that came inside their entry (scripts/bundle.mjs: the ones every engine command loads), as
 * module functions by the path of their file, which is then not read.
 */
const embedded = new Map()

/**
 * The exports of the bundle file `file` (undefined when an `entry` is not there). Its requires of
 * ./ paths are its chunks, loaded the same way; anything else (node:*, packages) is Node's require.
 * `bundleDir`: where the left-out tree modules' paths start (module.treeImport).
 */
function loadFile(file, bundleDir, entry = false, key = undefined) {
  const known = loaded.get(file)
  if (known) return known.module.exports
  const dir = file.slice(0, file.lastIndexOf('/'))
  const inEntry = embedded.get(file)
  if (inEntry) {
    const mod = newModule(bundleDir, dir)
    loaded.set(file, { file, module: mod })
    inEntry(mod.exports, chunkRequire(dir, bundleDir), mod, file, dir)
    return mod.exports
  }
  let source
  try {
    // Read as bytes and made a one-byte string: scripts/bundle.mjs writes ASCII only, and a latin1
    // string costs one copy where utf8 decoding costs a validation pass too.
    source = fs.readFileSync(file).latin1Slice()
  } catch (err) {
    if (err.code === 'ENOENT' && entry) return undefined
    throw err
  }
  const vm = builtin('node:vm')
  const cache = key === undefined ? `${file}.cache` : `${file}.${key}.cache`
  let cachedData
  try {
    cachedData = fs.readFileSync(cache)
  } catch {} // none yet (or unreadable): compiled from the source, as without a cache
  // The file is its code inside Module.wrap's text already (scripts/bundle.mjs says why).
  const script = new vm.Script(source, { filename: file, cachedData })
  const mod = newModule(bundleDir, dir)
  // In the map before it runs, as Node's require does: chunks that require each other get the
  // exports filled in so far (esbuild's CommonJS output sets them first).
  loaded.set(file, { file, cache, script, cachedData, module: mod })
  script.runInThisContext()(mod.exports, chunkRequire(dir, bundleDir), mod, file, dir)
  return mod.exports
}

/** A bundle file's `module`. */
function newModule(bundleDir, dir) {
  return {
    exports: {},
    // The tree's modules the bundle leaves out (the engine, the dashboard), by paths relative to
    // dist/bundle/: imported through dynamicImport (above), since code compiled by vm.Script cannot
    // import() on Node 20.
    treeImport: (path) => dynamicImport(require('node:url').pathToFileURL(require('node:path').join(bundleDir, path)).href),
    // An entry's chunks inside it: their paths (relative to it) and module functions, in turns.
    embed: (list) => {
      for (let i = 0; i < list.length; i += 2) embedded.set(under(dir, list[i]), list[i + 1])
    },
  }
}

/** The `require` of a bundle file in `dir`: its chunks (./, ../) loaded here, anything else Node's. */
function chunkRequire(dir, bundleDir) {
  return (id) => (id.startsWith('./') || id.startsWith('../') ? loadFile(under(dir, id), bundleDir) : id.startsWith('node:') ? builtin(id) : require(id))
}

/**
 * join(dir, rel) for the bundle's own relative paths ("./chunk-X.cjs", "tocker/run-Y.cjs"), without
 * path.join's normalising pass where there is nothing to normalise: its strings are young objects
 * (~1 KB a call, ~60 calls in a `run`), which bring V8's young-generation GC closer (see
 * scripts/bundle.mjs, embedding()).
 */
function under(dir, rel) {
  const r = rel.startsWith('./') ? rel.slice(2) : rel
  return r.startsWith('.') || r.includes('/.') || r.includes('//') ? require('node:path').join(dir, rel) : `${dir}/${r}`
}

/**
 * Each loaded file's compiled code, saved after the command ran (so it holds the functions compiled
 * on the way) where there was none or V8 refused it.
 */
function saveCaches() {
  for (const m of loaded.values()) {
    if (m.script && !m.saved && (m.cachedData === undefined || m.script.cachedDataRejected)) {
      m.saved = true // once (`tocker runtime` saves at beforeExit, then tocker's own run)
      saveCache(m.cache, m.script.createCachedData())
    }
  }
}

/** Best effort (a read-only checkout, another user): a run without the cache is only slower. */
function saveCache(path, data) {
  const tmp = `${path}.${process.pid}.tmp`
  try {
    fs.writeFileSync(tmp, data)
    fs.renameSync(tmp, path)
  } catch {
    fs.rmSync(tmp, { force: true })
  }
}

/**
 * Add a script compiled elsewhere (bin/tocker's of this file) to those whose code caches
 * saveCaches() writes: `file` its source, `cache` the cache's path.
 */
module.exports.keep = function keep(file, cache, script, cachedData) {
  loaded.set(file, { file, cache, script, cachedData })
}
