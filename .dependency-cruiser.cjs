// The layering rule of the README, checked (npm run lint, and so CI through test/lint.test.ts):
//   cli → api → engine → image/runtime/network → cgroups/content/store/registry-credentials
//       → sys/trace → native-shims
// An import may skip layers downward, never point upward, and no module may import itself through
// others (no cycles). Leaves every layer may use: errors.ts, human-duration.ts, json-schema.ts, i18n/, and the API's
// wire formats (api/types.ts, api/json-message.ts: plain data shapes and their encoding, no I/O).
// Static and dynamic imports alike. Not checked yet: that cli/ reaches the engine only through the
// API (the engine-API issue is moving the image commands behind it); see them with
//   npx depcruise src --no-config --output-type text --include-only '^src/cli' | grep -v 'src/(cli|api)/'
const LEAVES = '^src/(errors\\.ts|human-duration\\.ts|json-schema\\.ts|i18n/|api/types\\.ts|api/json-message\\.ts)'

/** Layers from the top; each may import only those after it. */
const LAYERS = [
  ['cli', '^src/cli/'],
  ['api', '^src/api/'],
  ['engine', '^src/engine/'],
  ['image/runtime/network', '^src/(image|runtime|network)/'],
  ['cgroups/content/store', '^src/(cgroups|content|store)/|^src/registry-credentials\\.ts$'],
  ['sys/trace', '^src/(sys|trace)/'],
  ['native-shims', '^native-shims/'],
]

const upward = LAYERS.slice(1).map(([name, path], i) => ({
  name: `no-upward-from-${name.replace(/\//g, '-')}`,
  comment: `${name} must not import a layer above it (${LAYERS.slice(0, i + 1).map(([n]) => n).join(', ')})`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(0, i + 1).map(([, p]) => `(${p})`).join('|'), pathNot: LEAVES },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a module must not depend on itself through others',
      severity: 'error',
      from: { path: '^(src|native-shims)/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
}
