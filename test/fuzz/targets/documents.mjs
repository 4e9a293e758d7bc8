// Fuzz target: the JSON documents of registries and archives (manifest, index, config,
// manifest.json, oci-layout), and the platform choice on every index the schema accepts.
import { expected, Refused } from './common.mjs'
const docs = await import('../../../dist/src/image/documents.js')
const { choosePlatform } = await import('../../../dist/src/image/registry/client.js')
const { hostPlatform } = await import('../../../dist/src/image/registry/platform.js')

const refuse = (m) => new Refused(m)
const kinds = [docs.ImageManifestDoc, docs.ImageIndexDoc, docs.ImageConfigDoc, docs.DockerArchiveManifestDoc, docs.OciLayoutDoc]

export function fuzz(data) {
  for (const k of kinds) {
    let v
    try {
      v = docs.parseDocument(k, data, k.name, refuse)
    } catch (err) {
      expected(err)
      continue
    }
    if (k === docs.ImageIndexDoc) {
      try {
        choosePlatform(v, hostPlatform())
      } catch (err) {
        expected(err)
      }
    }
  }
}
