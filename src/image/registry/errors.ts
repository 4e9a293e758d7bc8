// How registry failures are worded. A registry answers errors with a JSON body
//   {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown", "detail": …}]}
// (token servers sometimes with {"details": "incorrect username or password"}), and Docker prints
// each as "<code in lower case with spaces>: <message>", e.g. "manifest unknown: manifest unknown".
// Network failures are worded as Go's net package words them, which is what Docker users see:
//   Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused
import { TockerError } from '../../errors.js'

/** A non-success HTTP answer from a registry or token server (internal: the client words it). */
export class RegistryHttpError extends TockerError {
  constructor(
    /** The registry's HTTP status (not this error's `status`, which is the engine API's). */
    readonly httpStatus: number,
    /** The first error code of the body ("MANIFEST_UNKNOWN", "UNAUTHORIZED"), if any. */
    readonly errorCode: string | undefined,
    /** Docker's rendering of the body: "manifest unknown: manifest unknown". */
    readonly description: string,
  ) {
    super(description, { code: 'EREGISTRYHTTP', internal: true })
    this.name = 'RegistryHttpError'
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** Turn an error response body into a RegistryHttpError (never throws). */
export function registryHttpError(status: number, body: string): RegistryHttpError {
  let parsed: any
  try {
    parsed = JSON.parse(body)
  } catch {
    parsed = undefined
  }
  const errors = Array.isArray(parsed?.errors) ? parsed.errors.filter((e: any) => e && typeof e.code === 'string') : []
  if (errors.length > 0) {
    const parts = errors.map((e: any) => {
      const code = String(e.code).toLowerCase().replace(/_/g, ' ')
      return e.message ? `${code}: ${e.message}` : code
    })
    return new RegistryHttpError(status, errors[0].code, parts.join(', '))
  }
  if (status === 401) {
    const details = typeof parsed?.details === 'string' && parsed.details ? parsed.details : 'authentication required'
    return new RegistryHttpError(status, 'UNAUTHORIZED', `unauthorized: ${details}`)
  }
  if (status === 403) return new RegistryHttpError(status, 'DENIED', 'denied: requested access to the resource is denied')
  return new RegistryHttpError(status, undefined, `received unexpected HTTP status: ${status} ${STATUS_TEXT[status] ?? ''}`.trimEnd())
}

/** Go-style wording of a Node network error ("dial tcp 127.0.0.1:1: connect: connection refused"). */
export function describeNetworkError(err: unknown, url: string): string {
  const cause = (err as { cause?: any })?.cause ?? err
  const code: string | undefined = cause?.code
  const u = new URL(url)
  const hostPort = `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${u.hostname}: no such host`
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `dial tcp ${hostPort}: i/o timeout`
    case 'EHOSTUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: network is unreachable`
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`
    case 'UND_ERR_SOCKET':
      return 'unexpected EOF'
    default:
      if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))) {
        return `tls: ${cause.message}`
      }
      return cause?.message ?? String(err)
  }
}

/** Network errors worth retrying: the connection broke, as opposed to "nobody listens" or "no such host". */
export function isRetryableNetworkError(err: unknown): boolean {
  const code = ((err as { cause?: any })?.cause ?? err as any)?.code
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'ECONNABORTED' || code === 'UND_ERR_CLOSED'
}

/** Statuses worth retrying after a pause. */
export function isRetryableStatus(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504 || status === 429
}
