// The layering rule of the README, checked (npm run lint, and so CI through test/lint.test.ts):
//   cli → api → engine → image/runtime/network → cgroups/content/store/registry-credentials
//       → sys/trace → native-shims
// An import may skip layers downward, never point upward, and no module may import itself through
// others (no cycles). Leaves every layer may use, each with no state and no kernel access: errors.ts
// (the one error type), human-duration.ts, json-schema.ts and edit-distance.ts (pure helpers), dockerignore.ts (the
// .dockerignore matcher: the CLI's build context and the engine's builder both apply it),
// package-root.ts (where the package's own files are: the CLI, the runtime CLI and the dashboard find
// their assets through it), i18n/ (the learner's words), and the API's wire formats (api/types.ts, api/wire/,
// api/json-message.ts: plain data shapes and their encoding, no I/O). A leaf imports only leaves, so
// no layer can reach upward through one.
// Static and dynamic imports alike. And the CLI is a thin client: it reaches state only through
// the API. Besides api/ it may use pure helpers that do no I/O (reference parsing, -p specs, port
// formatting, the trace formatter) and the client's own credential file; only the low-level
// `tocker runtime` (runc's commands, no engine) and `tocker daemon` (which is the engine) reach below.
// src/runtime-cli/ (bin/tocker-runtime, runc's command line) sits beside cli/: it drives the runtime
// library directly, as runc does, and shares cli/'s parser.
// The dashboard (`tocker dashboard`, a web server for the browser) sits under the CLI and is a client
// of the API in the same way.
const LEAVES = '^src/(errors\\.ts|edit-distance\\.ts|human-duration\\.ts|json-schema\\.ts|dockerignore\\.ts|package-root\\.ts|i18n/|api/types\\.ts|api/wire/|api/json-message\\.ts)'

/** Layers from the top; each may import only those after it. */
const LAYERS = [
  ['cli', '^src/(cli|runtime-cli)/'],
  ['dashboard', '^src/dashboard/'],
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
      name: 'leaves-stay-leaves',
      comment: 'a leaf every layer may use (errors, i18n, wire types, …) must import only other leaves: through it any layer could reach upward',
      severity: 'error',
      from: { path: LEAVES },
      to: { path: '^(src|native-shims)/', pathNot: LEAVES },
    },
    {
      name: 'cli-only-through-the-api',
      comment: 'a CLI command must not touch the store, the runtime or the engine directly: ask the engine through the API (src/api/client.ts)',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: '^src/cli/commands/(runtime|daemon)\\.ts$' },
      to: {
        path: '^src/(engine|runtime|image|network|cgroups|content|store|sys)/',
        pathNot: '^src/image/reference\\.ts$|^src/network/(port-spec|port-format)\\.ts$',
      },
    },
    {
      name: 'dashboard-only-through-the-api',
      comment: 'the dashboard is a client of the engine like the CLI: it reaches state only through the API (src/api/client.ts)',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: '^src/(engine|runtime|image|network|cgroups|content|store|sys)/' },
    },
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
    // src/dashboard/web/ is the browser's code (it imports the page's own /vendor/ URLs), not Node's.
    exclude: { path: '^(dist|node_modules)/|^src/dashboard/web/' },
  },
}
