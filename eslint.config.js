// ESLint with typescript-eslint's recommended rules (without type information: fast enough for two
// cores), run by `npm run lint`. Formatting is not ESLint's job: a formatter (Prettier or dprint)
// is to be added and run over the whole tree in one go, when no branch is in flight.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'rootfs-cache/out/', 'native-shims/out/', 'test/.tmp/', '.tap/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `catch {}` with nothing to do is how "already gone" reads; other empty blocks still fail.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // An unused parameter named _x is one an interface makes us take.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Request bodies and JSON are `any` until they are validated against a schema (issue 15's
      // "validated shapes"); turn this on once they are.
      '@typescript-eslint/no-explicit-any': 'off',
      // Docker's table output is matched with its real runs of spaces: clearer than {3}.
      'no-regex-spaces': 'off',
    },
  },
  {
    // The dashboard's page: plain ES modules that run in the browser as they are (no build step).
    files: ['src/dashboard/web/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // CommonJS on purpose (bin/bundle-loader.cjs: Node loads it without its ES module loader).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // TypeScript itself reports undefined names (typescript-eslint's advice: no-undef off for TS).
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    // One error type (src/errors.ts): everything src/ and native-shims/ throw is a TockerError (or a
    // subclass) with a code; a plain Error, its built-in kin, or an Error subclass would reach the
    // API and the CLI without one.
    files: ['src/**/*.ts', 'native-shims/**/*.ts'],
    ignores: ['src/errors.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'NewExpression[callee.name=/^(Error|TypeError|RangeError|SyntaxError|EvalError|URIError|AggregateError)$/]', message: 'Throw a TockerError with a code (src/errors.ts), not a plain Error.' },
        { selector: 'CallExpression[callee.name=/^(Error|TypeError|RangeError|SyntaxError|EvalError|URIError|AggregateError)$/]', message: 'Throw a TockerError with a code (src/errors.ts), not a plain Error.' },
        { selector: ':matches(ClassDeclaration, ClassExpression)[superClass.name=/^(Error|TypeError|RangeError|SyntaxError)$/]', message: 'Extend TockerError (src/errors.ts), not Error.' },
      ],
    },
  },
  {
    // Tests import the untyped .mjs helpers (netns sandbox, leak check) behind @ts-ignore.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': false, 'ts-expect-error': 'allow-with-description' }] },
  },
)
