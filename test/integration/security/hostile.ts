// What the escape tests share: an engine of their own with hostile images loaded into it, a canary
// on the host the containers must never reach, the script a container runs to look for the host,
// and direct API calls for the long sweeps (one `run` through the CLI costs a Node start; the
// engine does the same create + start either way).
//
// The hostile images (one docker-archive, `tocker load`ed): busybox's layer, plus a layer with
//   /probe          probe.c, compiled here (the attacker's side of the helper test)
//   /wd -> /etc     a harmless symlinked working directory
//   /fd/N -> /proc/self/fd/N   (N = 0..64)
// and one config per working directory, tagged hostile/wd:<tag>:
//   base (none), benign-link (/wd), self-N (/proc/self/fd/N), link-N (/fd/N).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { demultiplex, EngineClient } from '../../../src/api/client.js'
import { tockerEnv, type Result, type TockerEnv } from '../engine/harness.js'
import { fixture } from '../../helpers/fixtures.js'
import { sha256, tarOf } from '../../helpers/tiny-images.js'

export const FDS = Array.from({ length: 65 }, (_, i) => i)
const HOST_NAME = hostname()

export interface Hostile {
  env: TockerEnv
  client: EngineClient
  /** A temp dir of the test (removed by cleanup). */
  work: string
  canaryDir: string
  canary: string
  token: string
  /** The shell script a container runs to look for the host from its cwd (prints PROBE-DONE). */
  script: string
  /** What of the host a run/exec reached (empty: nothing); also a failure that is not a cwd refusal. */
  escapes(r: Result, what: string): string[]
  /** create + start + wait + logs + rm through the API (`run` without the CLI's Node start). */
  run(image: string, cmd: string[], workingDir?: string): Promise<Result>
  /** exec through the API, attached: its output and exit code. */
  exec(container: string, cmd: string[], opts?: { workingDir?: string; user?: string }): Promise<Result>
  cleanup(): Promise<void>
}

export async function hostileEngine(prefix: string): Promise<Hostile> {
  const work = mkdtempSync(join(tmpdir(), `tocker-test-${prefix}-`))
  const canaryDir = join(work, 'canary')
  mkdirSync(canaryDir)
  const token = `canary-${randomBytes(8).toString('hex')}`
  const canary = join(canaryDir, 'secret')
  writeFileSync(canary, `${token}\n`)
  let env: TockerEnv | undefined
  // A test file killed half-way (a timeout) must not leave the canary dir behind either.
  process.on('exit', () => rmSync(work, { recursive: true, force: true }))
  const cleanup = async (): Promise<void> => {
    try {
      await env?.cleanup()
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }
  try {
    env = await tockerEnv(`tocker-test-${prefix}-engine-`)
    await env.startEngine()
    await loadHostileImages(env, work)
  } catch (err) {
    await cleanup()
    throw err
  }
  const client = new EngineClient(env.socket)
  const up = '../'.repeat(24)
  const script = [
    `U=${up}`,
    `[ -e "\${U}${canary.slice(1)}" ] && echo "ESCAPED: the canary is visible"`,
    `cat "\${U}${canary.slice(1)}" 2>/dev/null`,
    `echo pwned 2>/dev/null >> "\${U}${canary.slice(1)}" && echo "ESCAPED: the canary is writable"`,
    `echo pwned 2>/dev/null > "\${U}${canaryDir.slice(1)}/new" && echo "ESCAPED: the canary dir is writable"`,
    `[ -e "\${U}${env.socket.slice(1)}" ] && echo "ESCAPED: the engine socket is visible"`,
    `echo "HOSTNAME=$(cat "\${U}etc/hostname" 2>/dev/null)"`,
    'echo PROBE-DONE',
  ].join('\n')

  const escapes = (r: Result, what: string): string[] => {
    const out = r.stdout + r.stderr
    const found: string[] = []
    if (/ESCAPED/.test(out) || out.includes(token)) found.push(`${what}: ${out.trim().split('\n').join(' | ')}`)
    if (r.code === 0) {
      if (!out.includes('PROBE-DONE')) found.push(`${what}: exit 0 but the probe did not run: ${out.trim()}`)
      if (/HOSTNAME=(.*)/.exec(r.stdout)?.[1] === HOST_NAME) found.push(`${what}: printed the host's hostname`)
    } else if (!/chdir to cwd \(".*"\) set in config\.json failed|possible container breakout detected/.test(out)) {
      found.push(`${what}: failed, but not at its working directory (exit ${r.code}): ${r.stderr.trim()}`)
    }
    return found
  }

  const run = async (image: string, cmd: string[], workingDir = ''): Promise<Result> => {
    const { Id } = await client.createContainer({ Image: image, Cmd: cmd, WorkingDir: workingDir, HostConfig: { NetworkMode: 'none' } })
    try {
      try {
        await client.startContainer(Id)
      } catch (err) {
        return { code: 125, stdout: '', stderr: (err as Error).message }
      }
      const { StatusCode } = await client.waitContainer(Id)
      const logs = await collect(await client.logs(Id, { stdout: 1, stderr: 1 }), Buffer.alloc(0))
      return { code: StatusCode, ...logs }
    } finally {
      await client.removeContainer(Id, { force: true })
    }
  }

  const exec = async (container: string, cmd: string[], opts: { workingDir?: string; user?: string } = {}): Promise<Result> => {
    const { Id } = await client.createExec(container, { Cmd: cmd, WorkingDir: opts.workingDir ?? '', User: opts.user ?? '', AttachStdout: true, AttachStderr: true, Tty: false })
    const conn = await client.startExecAttached(Id, false)
    const out = await collect(conn.socket, conn.head)
    return { code: (await client.inspectExec(Id)).ExitCode ?? -1, ...out }
  }

  return { env, client, work, canaryDir, canary, token, script, escapes, run, exec, cleanup }
}

/** A multiplexed stream (logs, attached exec) to its end: stdout and stderr. */
function collect(stream: NodeJS.ReadableStream, head: Buffer): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const parts: Record<number, Buffer[]> = { 1: [], 2: [] }
    const feed = demultiplex((s, d) => parts[s]?.push(Buffer.from(d)))
    if (head.length) feed(head)
    stream.on('data', (d: Buffer) => feed(d))
    stream.on('error', reject)
    stream.on('end', () => resolve({ stdout: Buffer.concat(parts[1]).toString(), stderr: Buffer.concat(parts[2]).toString() }))
  })
}

async function loadHostileImages(env: TockerEnv, work: string): Promise<void> {
  const probe = join(work, 'probe')
  execFileSync('cc', ['-O2', '-Wall', '-static', '-o', probe, new URL('./probe.c', import.meta.url).pathname])
  const images = [
    { tag: 'base', workingDir: '' },
    { tag: 'benign-link', workingDir: '/wd' },
    ...FDS.map((n) => ({ tag: `self-${n}`, workingDir: `/proc/self/fd/${n}` })),
    ...FDS.map((n) => ({ tag: `link-${n}`, workingDir: `/fd/${n}` })),
  ]
  const layout = await fixture('busybox')
  const [bb] = JSON.parse(readFileSync(join(layout, 'manifest.json'), 'utf8'))
  const config = JSON.parse(readFileSync(join(layout, bb.Config), 'utf8'))
  const dir = join(work, 'archive')
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true })
  const blob = (data: Buffer | string): string => {
    const name = `blobs/sha256/${sha256(data).slice(7)}`
    writeFileSync(join(dir, name), data)
    return name
  }
  const links = tarOf([
    { path: 'probe', content: readFileSync(probe), mode: 0o755 },
    { path: 'wd', type: 'symlink', linkname: '/etc' },
    { path: 'fd', type: 'dir' },
    ...FDS.map((n) => ({ path: `fd/${n}`, type: 'symlink' as const, linkname: `/proc/self/fd/${n}` })),
  ])
  const layers = [blob(readFileSync(join(layout, bb.Layers[0]))), blob(links)]
  const manifest = images.map(({ tag, workingDir }) => {
    const c = structuredClone(config)
    c.config.WorkingDir = workingDir
    c.rootfs.diff_ids.push(sha256(links))
    c.history.push({ created: c.created, created_by: 'hostile: /proc symlinks and the probe' })
    return { Config: blob(JSON.stringify(c)), RepoTags: [`hostile/wd:${tag}`], Layers: layers }
  })
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest))
  execFileSync('tar', ['-C', dir, '-cf', join(work, 'hostile.tar'), 'manifest.json', 'blobs'])
  const r = await env.tocker(['load', '-i', join(work, 'hostile.tar')])
  if (r.code !== 0) throw new Error(`tocker load: ${r.stderr}`)
  rmSync(dir, { recursive: true, force: true })
}

/** `fn` over `items`, `n` at a time (the machine has 2 cores). */
export async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i])
      }
    }),
  )
  return out
}
