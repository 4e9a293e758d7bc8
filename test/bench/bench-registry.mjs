// The pull benchmarks' registry: Debian's docker-registry on 127.0.0.1 (call it inside the
// benchmark's private network namespace), storage under a temp dir, with the bench images
// (test/bench/fixtures.mjs) pushed to it by skopeo.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { benchFixture } from './fixtures.mjs'

export const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

/**
 * Start an empty docker-registry with its storage and config under `dir` (name: the config file's
 * name, so that several can share a dir). Resolves with its address and ChildProcess (the caller ends it).
 */
export async function startPlainRegistry(dir, name = 'registry') {
  const port = await freePort()
  const config = join(dir, `${name}.yml`)
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, name)}\n` +
      `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(8).toString('hex')}\n`,
  )
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' })
  const addr = `127.0.0.1:${port}`
  let up = false
  for (let i = 0; i < 200 && !up; i++) {
    try {
      up = (await fetch(`http://${addr}/v2/`)).ok
    } catch {}
    if (!up) await new Promise((r) => setTimeout(r, 50))
  }
  if (!up) {
    child.kill('SIGTERM')
    throw new Error('docker-registry did not start')
  }
  return { addr, child }
}

/**
 * Start the registry under `work` and push `bench` and `bench-sibling`. Resolves with its address, its
 * ChildProcess (the caller ends it), the OCI layouts and the manifests.
 */
export async function startBenchRegistry(work) {
  const layouts = { bench: await benchFixture('bench'), 'bench-sibling': await benchFixture('bench-sibling') }
  const { addr, child } = await startPlainRegistry(work)
  const manifests = {}
  for (const [repo, layout] of Object.entries(layouts)) {
    const r = spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${addr}/${repo}:latest`], { encoding: 'utf8' })
    if (r.status !== 0) {
      child.kill('SIGTERM')
      throw new Error(`skopeo copy ${repo}: ${r.stderr}`)
    }
    manifests[repo] = await (await fetch(`http://${addr}/v2/${repo}/manifests/latest`, { headers: { accept: ACCEPT } })).json()
  }
  return { addr, child, layouts, manifests }
}
