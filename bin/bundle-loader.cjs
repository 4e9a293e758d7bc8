// Runs a CLI from its bundle (dist/bundle/<name>.cjs, written by `npm run build`: scripts/bundle.mjs
// says why) through V8's code cache: the first run compiles it and saves the compiled code beside it
// (<name>.cjs.cache), later runs read that instead of compiling (Node 20 has no compile cache of its
// own). A missing bundle, or TOCKER_NO_BUNDLE=1, runs the compiled tree (dist/src/) instead.
'use strict'
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')

/** Run `main(argv)` of the bundle `name` (or of `treeEntry` under dist/src/); sets the exit code. */
module.exports = function run(name, treeEntry) {
  load(name, treeEntry).then(async ({ exports, ran }) => {
    process.exitCode = await exports.main(process.argv.slice(2))
    ran()
  })
}

/**
 * The exports of the bundle `name` (or of `treeEntry` under dist/src/), and `ran()`, to call once
 * the command has run (it saves the code cache then). Also how one CLI runs another's commands:
 * `tocker runtime …` runs tocker-runtime's (src/cli/commands/runtime.ts).
 */
function load(name, treeEntry) {
  const dist = join(__dirname, '..', 'dist')
  const file = join(dist, 'bundle', `${name}.cjs`)
  let source
  // The engine (`tocker daemon`) runs from the tree, as before: it loads the tree's modules anyway,
  // and the bundle would only add its own copy of the CLI to a long-lived process's memory. (A
  // `daemon` that is some other word of the command line, e.g. an image's argument, only costs that
  // command the bundle's speed.)
  const daemon = name === 'tocker' && process.argv.includes('daemon')
  if (!process.env.TOCKER_NO_BUNDLE && !daemon) {
    try {
      source = readFileSync(file, 'utf8')
    } catch (err) {
      if (err.code !== 'ENOENT') throw err
    }
  }
  if (source === undefined) return import(join(dist, 'src', treeEntry)).then((exports) => ({ exports, ran: () => {} }))
  const vm = require('node:vm')
  const cacheFile = `${file}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {} // none yet (or unreadable): compiled from the source, as without a cache
  // Module.wrap's own text (Node 20's Module.wrapper), spelled out: require('node:module') would
  // load the ES module loader and the source-map support (3 internal modules) that a client
  // command never uses.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, {
    filename: file,
    cachedData,
  })
  // The tree's modules the bundle leaves out (the engine, the runtime library), by paths relative
  // to the bundle: imported from here, since code compiled by vm.Script cannot import() on Node 20.
  const mod = { exports: {}, treeImport: (path) => import(require('node:url').pathToFileURL(join(dist, 'bundle', path)).href) }
  script.runInThisContext()(mod.exports, require, mod, file, join(dist, 'bundle'))
  // Saved after the command ran, so the cache holds the functions it compiled on the way.
  const ran = () => {
    if (cachedData === undefined || script.cachedDataRejected) saveCache(cacheFile, script.createCachedData())
  }
  return Promise.resolve({ exports: mod.exports, ran })
}
module.exports.load = load

/** Best effort (a read-only checkout, another user): a run without the cache is only slower. */
function saveCache(path, data) {
  const tmp = `${path}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  } catch {
    rmSync(tmp, { force: true })
  }
}
