// tocker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
// tocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH        (also `container cp`)
// As the docker CLI does it (cli/command/container/cp.go): the engine stats the container side
// (HEAD /containers/{id}/archive), sends it as a tar (GET) or extracts a tar into a directory
// (PUT); which directory and under what name is decided here (cp-local.ts). "-" is a tar on
// stdin/stdout. The engine resolves every container path inside the container's root
// (`--explain` shows how), so a link in the container never leads the copy out of it.
import { existsSync } from 'node:fs'
import type { Command } from '../spec.js'

const en = (s: string, ko: string) => ({ en: s, ko })

export const cp: Command = {
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\ttocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  paths: ['container cp', 'cp'],
  args: { min: 2, max: 2 },
  complete: 'files',
  options: [
    { name: 'archive', short: 'a', type: 'bool', description: en('Archive mode (copy all uid/gid information)', '아카이브 모드: 파일의 소유자를 컨테이너의 사용자(USER)로 맞춥니다') },
    { name: 'follow-link', short: 'L', type: 'bool', description: en('Always follow symbol link in SRC_PATH', 'SRC_PATH가 심볼릭 링크이면 링크가 가리키는 파일을 복사합니다') },
    {
      name: 'quiet',
      short: 'q',
      type: 'bool',
      description: en('Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached', '복사하는 동안 진행 상황을 출력하지 않습니다'),
    },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, local, { TockerError }] = await Promise.all([import('../engine.js'), import('../cp-local.js'), import('../../errors.js')])
    const fail = (m: string) => new TockerError(m, { code: 'EINVALID', exitCode: 1 })
    const [source, destination] = args
    if (!source) throw fail('source can not be empty')
    if (!destination) throw fail('destination can not be empty')
    const [srcContainer, srcPath] = splitCpArg(source)
    const [dstContainer, dstPath] = splitCpArg(destination)
    if (srcContainer && dstContainer) throw fail('copying between containers is not supported')
    if (!srcContainer && !dstContainer) throw fail('must specify at least one container source')
    const client = await engineClient(g)
    // Docker's: progress only on a terminal (-q or no terminal: nothing).
    const quiet = Boolean(a.quiet) || !process.stderr.isTTY
    const { pipeline } = await import('node:stream/promises')

    if (srcContainer) {
      // ---- from the container ----
      const container = srcContainer
      let dst = dstPath
      if (dst !== '-') dst = local.resolveLocalPath(dst)
      validateOutputPath(dst, fail)
      let from = srcPath
      let rebase = ''
      if (a['follow-link']) {
        const st = await client.statContainerPath(container, from).catch(() => undefined)
        if (st && (st.mode & (1 << 27)) !== 0) {
          let target = st.linkTarget
          if (!target.startsWith('/')) target = `${local.splitPathDirEntry(from)[0]}/${target}`
          ;[from, rebase] = local.getRebaseName(from, target)
        }
      }
      const { stat, tar } = await client.copyFromContainer(container, from).catch((err: InstanceType<typeof TockerError>) => {
        throw err.status === 404 && !err.message.startsWith('Could not find') && !err.message.startsWith('No such container') ? fail(`No such container:path: ${container}:${from}`) : err
      })
      if (dst === '-') {
        await pipeline(tar, process.stdout, { end: false })
        return
      }
      const srcInfo = { path: from, exists: true, isDir: (stat.mode & 2 ** 31) !== 0, rebaseName: rebase }
      const dstInfo = local.copyInfoDestinationPath(dst)
      const plan = local.prepareArchiveCopy(srcInfo, dstInfo)
      const [, srcBase] = local.splitPathDirEntry(srcInfo.path)
      // Names first as the engine sent them (the container path's last element), then as here.
      const renames: [string, string][] = []
      if (rebase) renames.push([srcBase, rebase])
      if (plan.rebase) renames.push(plan.rebase)
      const total = { n: 0 }
      await extractLocal(tar, plan.dstDir, renames, total, pipeline, local.counter)
      if (!quiet) process.stderr.write(`Successfully copied ${local.humanSize(total.n)} to ${dst}\n`)
      return
    }

    // ---- into the container ----
    const container = dstContainer
    const dstInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' }
    let dstStat = await client.statContainerPath(container, dstPath).catch((err: InstanceType<typeof TockerError>) => {
      if (err.status === 404 && /^No such container/.test(err.message)) throw err
      return undefined
    })
    if (dstStat && (dstStat.mode & (1 << 27)) !== 0) {
      let target = dstStat.linkTarget
      if (!target.startsWith('/')) target = `${local.splitPathDirEntry(dstPath)[0]}/${target}`
      dstInfo.path = target
      dstStat = await client.statContainerPath(container, target).catch(() => undefined)
    }
    if (dstStat) {
      const why = outputModeError(dstStat.mode)
      if (why) throw fail(`destination "${container}:${dstPath}" must be a directory or a regular file: ${why}`)
      dstInfo.exists = true
      dstInfo.isDir = (dstStat.mode & 2 ** 31) !== 0
    }
    const copyUIDGID = Boolean(a.archive)
    if (srcPath === '-') {
      if (!dstInfo.isDir) throw fail(`destination "${container}:${dstPath}" must be a directory`)
      if (process.stdin.isTTY) throw fail('the tar archive to copy is read from stdin, which is a terminal: pipe a tar into it')
      await client.copyToContainer(container, dstInfo.path, process.stdin, { copyUIDGID })
      return
    }
    const src = local.copyInfoSourcePath(local.resolveLocalPath(srcPath), Boolean(a['follow-link']))
    const plan = local.prepareArchiveCopy(src, dstInfo)
    const [, srcBase] = local.splitPathDirEntry(src.path)
    const top = plan.rebase ? plan.rebase[1] : src.rebaseName || srcBase
    const total = { n: 0 }
    const body = local.localTar(src.path, top).pipe(local.counter(total))
    try {
      await client.copyToContainer(container, plan.dstDir, body, { copyUIDGID })
    } finally {
      if (!quiet) process.stderr.write(`Successfully copied ${local.humanSize(total.n)} to ${container}:${dstInfo.path}\n`)
    }
  },
}

/** Docker's splitCpArg: "c1:/x" -> ["c1", "/x"]; an absolute or "./"-relative local path has no container. */
export function splitCpArg(arg: string): [string, string] {
  if (arg.startsWith('/')) return ['', arg]
  const i = arg.indexOf(':')
  if (i < 0 || arg.startsWith('.')) return ['', arg]
  return [arg.slice(0, i), arg.slice(i + 1)]
}

/** Docker's ValidateOutputPathFileMode: a device or an irregular file is no destination. */
function outputModeError(mode: number): string | undefined {
  if (mode & (1 << 26)) return 'got a device'
  if (mode & ((1 << 25) | (1 << 24) | (1 << 19))) return 'got an irregular file'
  return undefined
}

/** Docker's ValidateOutputPath for a local destination. */
function validateOutputPath(p: string, fail: (m: string) => Error): void {
  if (p === '-') return
  const dir = p.replace(/\/+\.?$/, '').replace(/\/[^/]*$/, '') || '/'
  if (dir !== '.' && !existsSync(dir)) throw fail(`invalid output path: directory "${dir}" does not exist`)
}

/**
 * Extract the engine's tar into dstDir as the docker CLI does (Untar: owners not kept, absolute
 * symlinks kept as they are), each entry renamed by `renames` in turn (cp-local.ts's extractTar).
 */
async function extractLocal(
  tar: NodeJS.ReadableStream,
  dstDir: string,
  renames: [string, string][],
  total: { n: number },
  pipeline: typeof import('node:stream/promises').pipeline,
  counter: (t: { n: number }) => import('node:stream').Transform,
): Promise<void> {
  const [{ extractTar, rebaseName }, { codeOf, TockerError }] = await Promise.all([import('../cp-local.js'), import('../../errors.js')])
  const rename = (name: string) => renames.reduce((n, [from, to]) => rebaseName(n, from, to), name)
  try {
    await pipeline(tar, counter(total), await extractTar(dstDir, rename))
  } catch (err) {
    throw err instanceof TockerError ? err : new TockerError((err as Error).message, { code: codeOf(err, 'EIO'), exitCode: 1, cause: err })
  }
}
