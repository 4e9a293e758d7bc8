// One whole request and answer (the API's JSON calls) on libuv's pipe handle (unix-pipe.ts says
// why), with the same HTTP/1.1 as http1.ts's node:net client: the same head, the same parser, the
// same errors (no engine: ENOENT/ECONNREFUSED; a connection cut: ECONNRESET; not HTTP:
// EHTTPRESPONSE). transport.ts uses it for a request with a whole body and no connection opened
// beforehand, when the handle can be used.
import { TockerError } from '../errors.js'
import { type Http1Answer, type Http1Request, type ResponseHead, requestHeadOf, ResponseParser } from './http1-message.js'
import { pipeBindings, pipeConnect, type PipeConnection } from './unix-pipe.js'

/** Whether requestOnPipe can carry requests in this process. */
export function pipeUsable(): boolean {
  return pipeBindings() !== null
}

/**
 * Send `r` (a whole body or none, no `socket`) on `conn` (a spare: EngineTransport.preconnect) or a
 * new connection, and resolve with the whole answer. Throws (EHTTPREQUEST) on a request that must
 * not be sent; call only when pipeUsable().
 */
export function requestOnPipe(r: Http1Request, conn?: PipeConnection): Promise<Http1Answer> {
  if (r.socket || (r.body !== undefined && !Buffer.isBuffer(r.body))) throw new TockerError('requestOnPipe: a whole request on a new connection only', { code: 'EINTERNAL', internal: true })
  // The head is ASCII (requestHeadOf refuses anything else), so its UTF-8 bytes are its latin1
  // ones: Buffer.from's default encoding skips the encoding lookup (getEncodingOps) that a named one
  // compiles at its first call (~0.2 M instructions), and writeStdout's Buffer.from shares the rest.
  const head = Buffer.from(requestHeadOf(r, false))
  const bytes = r.body?.length ? Buffer.concat([head, r.body as Buffer]) : head
  return new Promise((resolve, reject) => {
    let answer: ResponseHead | undefined
    const pieces: Buffer[] = []
    const parser = new ResponseParser(r.method === 'HEAD', {
      head: (h) => {
        answer = h
        return 'body'
      },
      data: (d) => pieces.push(d),
      end: () => {
        c.close()
        resolve({ statusCode: answer!.status, headers: answer!.headers, body: pieces.length === 1 ? pieces[0] : Buffer.concat(pieces) })
      },
      // Never called: head() above never asks for an upgrade.
      upgrade: () => {},
    })
    // What the parser throws (a malformed answer, a cut one) ends the exchange with it.
    const guarded = (step: () => void) => {
      try {
        step()
      } catch (err) {
        c.close()
        reject(err as Error)
      }
    }
    const c = conn ?? pipeConnect(r.socketPath)!
    c.send(bytes, {
      data: (d) => guarded(() => parser.feed(d)),
      end: () => guarded(() => parser.finish()),
      error: reject,
    })
  })
}
