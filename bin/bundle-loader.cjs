// The loader of tocker's bundles (bin/tocker says why it lives there): for bin/tocker-runtime,
// `tocker runtime` (src/cli/commands/runtime.ts), the tests and the benches. Required, bin/tocker
// only exports the loader (it runs tocker's CLI only as the main module).
'use strict'
module.exports = require('./tocker')
