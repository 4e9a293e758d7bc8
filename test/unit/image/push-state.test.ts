// push and the store's copy of a pulled image's manifest, without root: a copy that cannot be
// parsed stops the push (ESTATE, the parse error as cause) before any request; it is not read as
// "never pulled" (which pushed layers recompressed by tocker instead of the registry's own blobs).
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { pushImage } from '../../../src/image/push.js'
import { RegistryClient } from '../../../src/image/registry/client.js'
import { ImageStore } from '../../../src/image/store.js'
import { FakeRegistry } from '../fakes/registry.js'

const work = mkdtempSync(join(tmpdir(), 'tocker-unit-push-state-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

t.test('a damaged copy of the pulled manifest stops the push before any request', async (t) => {
  const store = new ImageStore(join(work, 'root'))
  t.teardown(() => store.close())
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }))
  const manifest = Buffer.from('{"schemaVersion": 2, "config": {"digest": "sha256:') // cut short
  const { id } = store.commitImage({ config, configDigest: sha(config), manifest, manifestDigest: sha(manifest), tag: 'registry.test/app:1' })
  const registry = new FakeRegistry('registry.test')
  const client = new RegistryClient({ fetch: registry.fetch, config: { insecureRegistries: [], mirrors: [], credentials: () => undefined } })
  const ref = { domain: 'registry.test', path: 'app', tag: '1' }
  const err = await pushImage(store.get(id)!, ref, { store, client, onEvent: () => {} }).then(() => undefined, (e: unknown) => e as Error & { code?: string; cause?: unknown })
  t.match(err, { code: 'ESTATE', message: /^cannot read the image store's manifest sha256:[0-9a-f]{64} of image sha256:/ })
  t.ok(err?.cause instanceof SyntaxError, "JSON.parse's error is the cause")
  t.same(registry.requests, [], 'nothing was sent')
})
