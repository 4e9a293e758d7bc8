// tocker build [OPTIONS] PATH | -: Docker's classic `docker build`. The CLI packs the context
// (build-context.ts: .dockerignore applied, owners 0:0), says "Sending build context to Docker
// daemon", and the engine builds (POST /build), streaming Docker's classic output: Step N/M, the
// RUN output, " ---> <id>", "Successfully built/tagged". A failed RUN exits with its own code, as
// Docker's CLI does.
import { kvMap } from '../kv.js'
import type { Command } from '../spec.js'

const en = (s: string, ko: string) => ({ en: s, ko })

export const build: Command = {
  usage: '[OPTIONS] PATH | URL | -',
  paths: ['image build', 'build', 'builder build'],
  args: { min: 1, max: 1 },
  complete: 'files',
  options: [
    { name: 'build-arg', type: 'list', description: en('Set build-time variables', '빌드할 때 쓸 변수(ARG)를 지정합니다 (KEY=VALUE)') },
    { name: 'file', short: 'f', type: 'string', description: en('Name of the Dockerfile (Default is "PATH/Dockerfile")', 'Dockerfile의 이름 (기본값 "PATH/Dockerfile")') },
    { name: 'force-rm', type: 'bool', description: en('Always remove intermediate containers', '중간 컨테이너를 항상 지웁니다') },
    { name: 'iidfile', type: 'string', description: en('Write the image ID to the file', '이미지 ID를 이 파일에 씁니다') },
    { name: 'label', type: 'list', description: en('Set metadata for an image', '이미지에 메타데이터(레이블)를 붙입니다') },
    { name: 'network', type: 'string', default: 'default', description: en('Set the networking mode for the RUN instructions during build', '빌드 중 RUN 명령이 쓸 네트워크 (default, bridge, none, host)') },
    { name: 'no-cache', type: 'bool', description: en('Do not use cache when building the image', '빌드 캐시를 쓰지 않습니다') },
    { name: 'platform', type: 'string', description: en('Set platform if server is multi-platform capable', '플랫폼을 지정합니다 (예: linux/amd64)') },
    { name: 'pull', type: 'bool', description: en('Always attempt to pull a newer version of the image', 'FROM 이미지를 항상 다시 내려받습니다') },
    { name: 'quiet', short: 'q', type: 'bool', description: en('Suppress the build output and print image ID on success', '빌드 출력 없이, 성공하면 이미지 ID만 출력합니다') },
    { name: 'rm', type: 'bool', default: true, description: en('Remove intermediate containers after a successful build', '빌드가 성공하면 중간 컨테이너를 지웁니다') },
    { name: 'tag', short: 't', type: 'list', description: en('Name and optionally a tag in the "name:tag" format', '이미지 이름과 태그 ("이름:태그" 형식)') },
    { name: 'target', type: 'string', description: en('Set the target build stage to build.', '빌드할 단계(스테이지)를 지정합니다') },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { packContext }, { readJsonMessages, decimalSize }, { PullPrinter }, { TockerError }, { parseReference }, credentials, fs] = await Promise.all([
      import('../engine.js'),
      import('../build-context.js'),
      import('../../api/json-message.js'),
      import('../format/pull-progress.js'),
      import('../../errors.js'),
      import('../../image/reference.js'),
      import('../../registry-credentials.js'),
      import('node:fs'),
    ])
    const quiet = Boolean(a.quiet)
    for (const t of (a.tag as string[] | undefined) ?? []) {
      try {
        parseReference(t)
      } catch {
        throw new TockerError(`invalid argument "${t}" for "-t, --tag" flag: invalid reference format`, { code: 'EINVALIDREF', exitCode: 125 })
      }
    }
    const target = args[0]
    if (/^(https?|git):\/\//.test(target) || target.startsWith('git@')) {
      throw new TockerError(`unable to prepare context: a remote context (${target}) is not supported by tocker: clone or download it, then build the directory`, { code: 'ENOTIMPLEMENTED' })
    }
    let context: NodeJS.ReadableStream
    let dockerfile = a.file as string | undefined
    let sent = () => 0
    let cleanup = () => {}
    if (target === '-') {
      if (process.stdin.isTTY) throw new TockerError('unable to prepare context: the build context on stdin must be a tar archive', { code: 'EINVALID' })
      context = process.stdin
    } else {
      const packed = packContext(target, dockerfile)
      context = packed.stream
      dockerfile = packed.dockerfile
      sent = packed.sent
      cleanup = packed.cleanup
    }
    const query: [string, string][] = []
    for (const t of (a.tag as string[] | undefined) ?? []) query.push(['t', t])
    if (dockerfile) query.push(['dockerfile', dockerfile])
    const buildArgs: Record<string, string | null> = {}
    for (const kv of (a['build-arg'] as string[] | undefined) ?? []) {
      const eq = kv.indexOf('=')
      if (eq >= 0) buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1)
      else buildArgs[kv] = process.env[kv] ?? null // Docker: KEY alone takes $KEY, if set
    }
    if (Object.keys(buildArgs).length) query.push(['buildargs', JSON.stringify(buildArgs)])
    const labels = kvMap(a.label as string[] | undefined)
    if (Object.keys(labels).length) query.push(['labels', JSON.stringify(labels)])
    if (a['no-cache']) query.push(['nocache', '1'])
    if (a.pull) query.push(['pull', '1'])
    if (quiet) query.push(['q', '1'])
    query.push(['rm', a.rm === false ? '0' : '1'])
    if (a['force-rm']) query.push(['forcerm', '1'])
    if (a.target) query.push(['target', String(a.target)])
    if (a.network && a.network !== 'default') query.push(['networkmode', String(a.network)])
    if (a.platform) query.push(['platform', String(a.platform)])
    // Every stored credential, for the FROM images the engine may have to pull (X-Registry-Config).
    const auths = (credentials.readJsonFile(credentials.credentialsPath()).auths ?? {}) as Record<string, { auth?: string }>
    const registryConfig: Record<string, { username: string; password: string; serveraddress: string }> = {}
    for (const [key, entry] of Object.entries(auths)) {
      const decoded = entry?.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : ''
      const colon = decoded.indexOf(':')
      if (colon > 0) registryConfig[key] = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key }
    }
    const client = await engineClient(g)
    const sending = () => {
      if (!quiet && target !== '-') process.stdout.write(`Sending build context to Docker daemon  ${decimalSize(sent()).padStart(7)}\n`)
    }
    let res
    try {
      res = await client.build(context, query, Object.keys(registryConfig).length ? Buffer.from(JSON.stringify(registryConfig)).toString('base64url') : undefined)
    } catch (err) {
      sending()
      throw err
    } finally {
      cleanup()
    }
    sending()
    const out = quiet ? { write: () => true } : process.stdout
    const printer = new PullPrinter(out)
    let imageId = ''
    for await (const m of readJsonMessages(res)) {
      if (m.error !== undefined || m.errorDetail) {
        const message = m.errorDetail?.message ?? m.error ?? 'unknown error'
        throw new TockerError(message, { code: 'EBUILD', exitCode: m.errorDetail?.code || 1 })
      }
      if (m.aux && typeof (m.aux as { ID?: unknown }).ID === 'string') imageId = (m.aux as { ID: string }).ID
      if (quiet && m.stream !== undefined && /^sha256:[0-9a-f]{64}\n$/.test(m.stream)) imageId = m.stream.trim()
      printer.message(m)
    }
    if (quiet) process.stdout.write(`${imageId}\n`)
    if (a.iidfile && imageId) fs.writeFileSync(String(a.iidfile), imageId, { mode: 0o644 })
  },
}
