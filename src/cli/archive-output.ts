// Where `save` and `export` put the tar the engine streams: STDOUT (never a terminal, as Docker
// refuses), or FILE, written next to it under a temporary name and renamed at the end, so a failed
// or cut transfer leaves no half archive (the engine cuts the connection when it fails half-way).
import { once } from 'node:events'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Http1Response } from '../api/http1.js'
import { type ErrorCode, TockerError } from '../errors.js'

/** Docker's refusal to write an archive to a terminal: before anything is asked of the engine. */
export function refuseTerminal(output: string | undefined): void {
  if (!output && process.stdout.isTTY) throw new TockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect', { code: 'EUSAGE', exitCode: 1 })
}

/** `what`: 'save' or 'export', for the temporary file's name; `code`: the error code of a cut transfer. */
export async function writeArchive(tar: Http1Response, output: string | undefined, what: string, code: ErrorCode): Promise<void> {
  const cut = () => new TockerError('the engine stopped sending the archive before its end', { code })
  if (!output) {
    await pipeline(tar, process.stdout, { end: false }).catch(() => {
      throw cut()
    })
    if (!tar.complete) throw cut()
    return
  }
  const tmp = path.join(path.dirname(path.resolve(output)), `.tocker_${what}_${process.pid}_${path.basename(output)}`)
  const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 })
  try {
    await once(out, 'open')
    await pipeline(tar, out)
    if (!tar.complete) throw cut()
    fs.renameSync(tmp, output)
  } catch (err) {
    out.destroy()
    fs.rmSync(tmp, { force: true })
    throw (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? cut() : err
  }
}
