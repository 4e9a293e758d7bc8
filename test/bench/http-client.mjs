#!/usr/bin/env node
// Which HTTP client should the registry client stream blobs with? Downloads one ~50 MB blob from a
// local docker-registry (started here on 127.0.0.1, storage in a temp dir) several times with each
// candidate, hashing every byte with sha256 as the real client does, and prints the medians side by
// side as ratios to curl (the reference tool).
//
//   node test/bench/http-client.mjs [sizeMB=50] [rounds=7]
//
// Candidates: Node's built-in fetch (undici) consumed as a web stream and through Readable.fromWeb,
// node-fetch (if installed, or NODE_FETCH=<its src/index.js>), plain node:http, and curl | sha256 (floor).
import { spawn, spawnSync } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

const sizeMB = Number(process.argv[2] ?? 50)
const rounds = Number(process.argv[3] ?? 7)

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const port = s.address().port
  await new Promise((r) => s.close(r))
  return port
}

const dir = mkdtempSync(join(tmpdir(), 'tocker-bench-http-'))
const port = await freePort()
const config = join(dir, 'config.yml')
writeFileSync(
  config,
  `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(8).toString('hex')}\n`,
)
const registry = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' })
const base = `http://127.0.0.1:${port}`
try {
  for (let i = 0;; i++) {
    try {
      if ((await fetch(`${base}/v2/`)).ok) break
    } catch {}
    if (i > 200) throw new Error('registry did not start')
    await new Promise((r) => setTimeout(r, 50))
  }
  // One incompressible blob, uploaded monolithically (POST then PUT ?digest=).
  const blob = createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16)).update(Buffer.alloc(sizeMB * 1_000_000))
  const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex')
  const post = await fetch(`${base}/v2/bench/blob/blobs/uploads/`, { method: 'POST' })
  const location = new URL(post.headers.get('location'), base)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, { method: 'PUT', body: blob, headers: { 'Content-Type': 'application/octet-stream' } })
  if (put.status !== 201) throw new Error(`upload failed: ${put.status}`)
  const url = `${base}/v2/bench/blob/blobs/${digest}`

  const check = (hex) => {
    if ('sha256:' + hex !== digest) throw new Error('digest mismatch')
  }
  const candidates = {
    'fetch (web stream reader)': async () => {
      const res = await fetch(url)
      const h = createHash('sha256')
      for await (const chunk of res.body) h.update(chunk)
      check(h.digest('hex'))
    },
    'fetch + Readable.fromWeb': async () => {
      const res = await fetch(url)
      const h = createHash('sha256')
      // eslint-disable-next-line require-yield -- a sink: it consumes the stream and yields nothing
      await pipeline(Readable.fromWeb(res.body), async function*(src) {
        for await (const chunk of src) h.update(chunk)
      })
      check(h.digest('hex'))
    },
    'node:http': () =>
      new Promise((resolve, reject) => {
        http.get(url, (res) => {
          const h = createHash('sha256')
          res.on('data', (c) => h.update(c))
          res.on('end', () => {
            try {
              check(h.digest('hex'))
              resolve()
            } catch (e) {
              reject(e)
            }
          })
          res.on('error', reject)
        }).on('error', reject)
      }),
  }
  try {
    // node-fetch is not a dependency: install it for the comparison, here or elsewhere
    // (`npm i --prefix /tmp/nf node-fetch` then NODE_FETCH=/tmp/nf/node_modules/node-fetch/src/index.js).
    const { default: nodeFetch } = await import(process.env.NODE_FETCH ?? 'node-fetch')
    candidates['node-fetch'] = async () => {
      const res = await nodeFetch(url)
      const h = createHash('sha256')
      for await (const chunk of res.body) h.update(chunk)
      check(h.digest('hex'))
    }
  } catch {
    console.log('(node-fetch not installed: set NODE_FETCH=<path to node-fetch/src/index.js> to include it)')
  }
  candidates['curl > /dev/null (no hash)'] = async () => {
    spawnSync('curl', ['-sf', '-o', '/dev/null', url])
  }
  candidates['curl | sha256sum'] = async () => {
    const r = spawnSync('sh', ['-c', `curl -sf ${url} | sha256sum`], { encoding: 'utf8' })
    check(r.stdout.split(' ')[0])
  }

  const medians = {}
  for (const [name, fn] of Object.entries(candidates)) {
    await fn() // warm-up
    const times = []
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now()
      await fn()
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    medians[name] = times[Math.floor(times.length / 2)]
  }
  const floor = medians['curl | sha256sum']
  console.log(`blob: ${sizeMB} MB from docker-registry on 127.0.0.1, sha256 of every byte, median of ${rounds}`)
  console.log('client'.padEnd(28), 'median ms'.padStart(10), 'MB/s'.padStart(8), 'x curl'.padStart(8))
  for (const [name, ms] of Object.entries(medians)) {
    console.log(name.padEnd(28), ms.toFixed(0).padStart(10), (sizeMB / (ms / 1000)).toFixed(0).padStart(8), (ms / floor).toFixed(2).padStart(8))
  }
} finally {
  registry.kill('SIGTERM')
  await new Promise((r) => registry.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
}
