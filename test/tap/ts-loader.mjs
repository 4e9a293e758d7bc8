// `node --import ./test/tap/ts-loader.mjs x.test.ts`: runs a TypeScript test (see ./ts-hooks.mjs).
// tap passes it to every test process (package.json: tap.node-arg), with TAP_TYPE_STRIP_ONLY=1 in the
// test's environment (tap.test-env) so that tap's own ts-node loader stands aside.
import { register } from 'node:module'
import './unit-netns.mjs'
register('./ts-hooks.mjs', import.meta.url)
