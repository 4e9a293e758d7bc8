// tocker's one error type, for every layer. `code` names the failure ("ENETCOMMAND", "EBADLAYER",
// an errno name such as "EPERM" for a failed system call); `message` is one line saying what was
// wrong (Docker's wording where Docker has one); `hint` says what to do; `cause` is what went wrong
// underneath; `exitCode` follows Docker (1 for most commands, 125 for tocker's own failure in
// run/create/start, 126/127 for a command that cannot run).
//
// The rules (ESLint enforces the first: eslint.config.js, no `new Error(` in src/ or native-shims/
// outside this file):
// - Everything src/ and native-shims/ throw is a TockerError or a subclass of it, with a code.
//   Errors made by Node or a library (fs's ENOENT, JSON.parse's SyntaxError) are not re-thrown bare
//   across a layer: the layer that meets one words it and keeps it as the `cause`.
// - A subclass exists only where a caller must tell it apart (`instanceof GateError`) or read
//   fields of its own (SyscallError's errno, NetworkCommandError's stderr, StackError's path).
// - The kernel's errno: a failed libc call throws a SyscallError (native-shims/libc.ts), a
//   TockerError subclass with code = the errno's name ("EPERM"), `errno`, `syscall` and `path`, as
//   Node's own ErrnoException has them, so `err.code === 'ENOENT'` reads the same for both. It is
//   `internal`: the layer above says what it was doing ("error mounting … to rootfs at …: mount
//   …: EPERM (Operation not permitted)") with the SyscallError as its `cause`; the errno stays
//   reachable down the cause chain. Why a subclass and not the cause of a generic error: the errno
//   *is* the failure at that level, and code/errno/syscall are what callers test (EEXIST → fine).
// - A failure to read state is an error (code "ESTATE", the read's error as cause), never "absent":
//   only ENOENT means a thing is not there.
//
// An `internal` error is a layer's low-level failure (a tool's exit status, a malformed tar stream,
// a registry's HTTP answer, a system call's errno): the layer above words it for people, usually
// with it as the cause. isUserFacing() tells the two apart; where an internal error reaches a
// person unworded, it is printed as a plain "Error: …" line (and the API answers 500 with its
// message).
import { createRequire } from 'node:module'
import type { constants } from 'node:os'

// Codes. A TockerError's `code` is one of two kinds, and the compiler holds it to them (ErrorCode):
// - an errno name ("EPERM", "ENOENT", "EEXIST", "ETIMEDOUT"…, os.constants.errno) where the failure
//   is the kernel's, or is what that errno means;
// - one of the table's below (errorCodeTable). Most errors take one of the seven kinds at its top; a finer name
//   exists where a caller tells that failure apart, or where the layer's failure is one of its own
//   (a registry's answer, a tar stream, the network's commands).
// Each code's HTTP status (what the engine's API answers) is written beside it; a TockerError takes
// it from its code, so the two cannot disagree. `null`: the status depends on the case, and the
// site gives it (500 when it does not). An errno name answers 500 unless the site says otherwise.
// test/unit/error-codes.test.ts checks every site in src/ against this table.
/**
 * The table, made at its first use (errorCodes()): a CLI command that meets no error never needs it,
 * and V8 builds an object literal of ~130 properties one map transition at a time: ~0.7 M
 * instructions of every command's start when it stood at the module's top (callgrind).
 */
function errorCodeTable() {
  return {
    // The kinds.
    ENOTFOUND: 404, // no such thing: container, image, network, volume, exec instance, path, page
    ECONFLICT: 409, // the thing's state forbids it: not running, in use, name taken, changed meanwhile
    EINVALID: 400, // the input is wrong: a flag, a parameter, a body's field, a reference, a file's content
    EFORBIDDEN: 403, // never allowed, whatever the input (e.g. removing a pre-defined network)
    ENOTIMPLEMENTED: 501, // Docker does it, tocker does not
    ESTATE: null, // reading or writing tocker's own state failed (never read as "absent": the rules above)
    EINTERNAL: 500, // a broken promise inside tocker (a part not built, a caller using a part wrongly)
    // The engine and its API.
    EENGINE: null, // the engine answered with an error (the API client's side; the status is the engine's)
    EENGINEDOWN: 500, // the CLI cannot reach the engine
    EBADBODY: 400, // a request body that is not JSON
    EBADPATH: 400, // a URL path that does not decode
    EBODYTIMEOUT: 408, // a request body not received in time
    EBODYTOOLARGE: 413, // a request body over its limit
    EHOST: 400, // a -H/DOCKER_HOST tocker cannot speak to
    EHTTPREQUEST: 500, // an HTTP request the client refuses to send (a header with a newline)
    EHTTPRESPONSE: 500, // a malformed HTTP answer
    EBADSTAT: 500, // a missing or malformed X-Docker-Container-Path-Stat header
    ESTEPABORTED: 409, // a --step session stopped: the operation was undone
    ESTREAM: 500, // an error message inside a JSON progress stream
    // The CLI.
    EUSAGE: 500, // a command line or environment variable that makes no sense
    EUSAGE_FLAG: null, // a bad flag (FlagError: exit 125)
    EUSAGE_ARGS: 400, // wrong number of arguments (ArgsError)
    EUSAGE_COMMAND: 400, // no such command (UnknownCommandError)
    EATTACHMANY: 400, // start -a with more than one container
    ECSV: 500, // a malformed CSV value (--mount)
    EDETACHED: 500, // the user typed the detach keys
    EDETACHKEYS: 400, // a bad --detach-keys
    EFORMAT: 500, // a bad --format template
    ETEMPLATE: 500, // a Go template that does not parse or run (TemplateError)
    EINVALIDTIME: 400, // a time or duration that does not parse
    ENOTROOT: 500, // tocker needs root
    // Images, registries, layers.
    ENOSUCHIMAGE: null, // no such image (404; 500 where an image of a container went missing)
    EINVALIDREF: 400, // an image reference that does not parse
    EINVALIDPLATFORM: 400, // a --platform that does not parse
    ENOPLATFORM: 404, // no manifest for the platform asked
    EMANIFEST: 500, // a registry's manifest that tocker cannot use
    EBADCONFIG: 400, // an image config that is not JSON
    EBADRECORD: 500, // a store record that is not what it should be
    EDIGEST: null, // a digest that is malformed or does not match
    EDIFFID: 400, // layer content that does not match its diff ID
    EBLOBVERIFY: 500, // a blob whose bytes do not match its digest or size (BlobVerificationError)
    EBADLAYER: null, // a layer tocker cannot read
    EUNSAFELAYER: 400, // a layer entry that would write outside its root (UnsafeLayerError)
    EUNSUPPORTEDMEDIA: 400, // a layer media type tocker does not know
    EOVERLAYFEATURE: 500, // an overlayfs feature (redirect, metacopy) a layer cannot carry
    ELAYERMISSING: 500, // a layer missing from the store
    ELAYERLINK: 500, // a layer's short link cannot be made
    ECHANGED: 500, // a file changed while it was read into a layer
    EDECOMPRESS: 500, // a layer that does not decompress
    ETARFORMAT: 500, // a malformed tar stream (TarFormatError)
    ETARSPLIT: 500, // a corrupt tar-split record
    ETARWRITE: 500, // a tar entry that does not match its header
    ESTREAMCLOSED: 500, // a stream closed before its end (a layer's, an exported archive's)
    EUNPACKINPUT: 500, // bad input to the unpacking thread
    EUNPACKTHREAD: 500, // the unpacking thread failed
    EWORKEREXIT: 500, // a worker thread exited early
    ENOTWORKER: 500, // a worker module loaded outside a worker
    EABORTED: 500, // a pull given up
    EPULL: 500, // a pull that failed
    EOFFLINEIMAGE: null, // a pull that cannot reach the registry, with an offline image to load instead (the pull's status)
    EPUSH: 500, // a push that failed
    ESAVE: 500, // an image that cannot be saved
    ELOAD: 400, // a load whose input is not an image archive
    EREGISTRY: null, // a registry's error answer, worded (the status follows it: 401 or 500)
    EREGISTRYHTTP: 500, // a registry's HTTP answer (RegistryHttpError)
    EREGISTRYNET: 500, // a registry that cannot be reached (RegistryNetworkError)
    EUNAUTHORIZED: 401, // a login the registry refused
    EDENIED: null, // pull or push access denied (401 or 403)
    ECONFIG: 500, // a credentials file that is not JSON
    // Build.
    EBUILD: 400, // a build step that cannot run as written
    EBUILDRUN: 500, // a RUN step's command failed
    EBADCONTEXT: 400, // a build context that is not a tar archive
    EDOCKERFILE: null, // a Dockerfile tocker cannot read
    ENODOCKERFILE: 400, // no Dockerfile where asked
    EDOCKERIGNORE: 500, // a bad .dockerignore pattern
    ELEX: 500, // a Dockerfile that does not lex (LexError)
    ETOOLARGE: null, // over a size limit (a build context, a Dockerfile, a layer)
    // Containers and the runtime.
    ENOSUCHVOLUME: 404, // no such volume
    EVOLUMEINUSE: 409, // a volume in use
    EINVALIDMOUNT: 400, // a bad --mount or -v
    EINVALIDLIMIT: 400, // a bad resource limit
    ESECCOMPPROFILE: 400, // a seccomp profile that does not decode
    ESECURITYOPT: 400, // a bad --security-opt
    ETOOMANYLAYERS: 400, // more layers than one overlay mount takes
    EUNSAFEFILE: 400, // a path in the container that would lead out of it
    EUNSAFEARCHIVE: null, // an archive entry that would lead out of its root
    ECOPYUP: 500, // copying an image's content into a new volume failed
    EGATE: 500, // the container's first process could not be started (GateError)
    EHOOK: 500, // an OCI hook failed
    ERUNTIME: 500, // the runtime could not do what was asked (start, stop, exec, talk to its shim)
    ESTALESTATE: 409, // a runtime state.json a crash of the machine cut short (its processes are gone: delete --force)
    ECGROUP: 500, // a cgroup operation failed
    ECGROUPGUARD: 500, // a cgroup path refused before touching it
    ENOCGROUPV2: 500, // a limit that needs cgroup v2 or one of its controllers
    ELOCKTIMEOUT: 500, // a lock not taken in time
    ENOPACKAGEROOT: 500, // tocker's own install is not found
    // Networks.
    ENONETWORK: 404, // no such network
    ENETWORKEXISTS: 409, // a network name taken
    ENETWORKINUSE: 403, // a network with containers on it
    EBADNETWORK: null, // a network request that cannot be met
    ENOPOOL: 403, // no address pool left
    ENOADDR: 500, // no address (or subnet) left
    EADDROUTOFRANGE: 400, // an --ip outside the network's subnet
    EINVALIDPORT: 400, // a bad -p
    EPORTALLOCATED: 500, // a host port already taken
    EBIND: 500, // a host port that cannot be bound
    EBRIDGEBUSY: 409, // a bridge used by another engine
    ENOTBRIDGE: 500, // a link of the bridge's name that is not a bridge
    ENETCOMMAND: 500, // an ip/iptables command failed (NetworkCommandError)
    ENETSETUP: 500, // a container's networking could not be set up
    ENETSTATE: 500, // the network layer's state file is unreadable
  } as const satisfies Record<string, number | null>
}

let table: ReturnType<typeof errorCodeTable> | undefined
/** Each documented code (errorCodeTable) and its HTTP status. */
export function errorCodes(): ReturnType<typeof errorCodeTable> {
  return (table ??= errorCodeTable())
}

type Errno = keyof typeof constants.errno
export type ErrorCode = keyof ReturnType<typeof errorCodeTable> | Errno

/** The status a code answers with (its kind's), where it has one; undefined where the site says. */
export function httpStatusOf(code: ErrorCode): number | undefined {
  return (errorCodes() as Record<string, number | null>)[code] ?? undefined
}

/** `err`'s code where it is one of ours or an errno name (a TockerError's, Node's ErrnoException's), else `otherwise`. */
export function codeOf(err: unknown, otherwise: ErrorCode): ErrorCode {
  const code = (err as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' && (Object.hasOwn(errorCodes(), code) || Object.hasOwn(errnoNames(), code)) ? (code as ErrorCode) : otherwise
}

let errno: typeof constants.errno | undefined
/**
 * os.constants.errno, from node:os loaded at the first call: every CLI command loads this file, and
 * node:os at its start cost each one ~0.5 ms and 10 KB of young heap (which brought `tocker
 * images` past the size at which V8 schedules a young-generation GC, 3-9 ms).
 */
function errnoNames(): typeof constants.errno {
  errno ??= (createRequire(import.meta.url)('node:os') as typeof import('node:os')).constants.errno
  return errno
}

/** The code for an HTTP status an engine answered with: a kind where one has that status, else EENGINE. */
export function codeOfStatus(status: number): ErrorCode {
  for (const code of ['ENOTFOUND', 'ECONFLICT', 'EINVALID', 'EFORBIDDEN', 'ENOTIMPLEMENTED'] as const) if (errorCodes()[code] === status) return code
  return 'EENGINE'
}

// `instanceof TockerError` holds for a TockerError made by another copy of this module too (a brand
// in the global symbol registry): bin/tocker runs the CLI from a bundle (dist/bundle/) while the
// commands it leaves out (daemon, runtime, dashboard) run from the compiled tree (dist/src/), so one
// process can hold two copies of this class. A subclass (`instanceof GateError`) keeps the
// ordinary prototype check.
const BRAND = Symbol.for('tocker.TockerError')

export class TockerError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TockerError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  readonly code: ErrorCode
  /** Set only where it must differ from the command's own default (1, or 125 for run/create/start). */
  readonly exitCode?: number
  readonly hint?: string
  /** HTTP status for the engine's API: the code's (errorCodes()), or the site's where the code has none. */
  readonly status: number
  /** Docker prints engine-side errors as "Error response from daemon: …"; set where Docker does. */
  readonly daemon: boolean
  /** A low-level failure for the layer above to word (see the top of this file). */
  readonly internal: boolean

  constructor(message: string, opts: TockerErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'TockerError'
    this.code = opts.code
    this.exitCode = opts.exitCode
    this.hint = opts.hint
    this.status = opts.status ?? httpStatusOf(opts.code) ?? 500
    this.daemon = opts.daemon ?? false
    this.internal = opts.internal ?? false
    Object.defineProperty(this, BRAND, { value: true })
  }
}

export interface TockerErrorOptions {
  code: ErrorCode
  exitCode?: number
  hint?: string
  /** Only where the code's status is null (it depends on the case) or the code is an errno name. */
  status?: number
  daemon?: boolean
  internal?: boolean
  cause?: unknown
}

export function isTockerError(err: unknown): err is TockerError {
  return err instanceof TockerError
}

/** A TockerError worded for people (not `internal`): pass it on as it is. */
export function isUserFacing(err: unknown): err is TockerError {
  return err instanceof TockerError && !err.internal
}
