// The wire types of tocker's engine API: the subset of the Docker Engine API (v1.43-ish) tocker
// serves, with Docker's field names, so that the real `docker` CLI can talk to the engine too.
// Only types here, defined once: the server, the client, the engine and the network layer (which
// builds NetworkSettings and reads port maps) import them from here. The shapes live in wire/, one
// file per area; this file holds the constants and re-exports them.

export interface ErrorBody {
  message: string
}

/** The stream ids of Docker's multiplexed attach/logs framing (8-byte header: [stream,0,0,0,size BE32]). */
export const STREAM = { stdin: 0, stdout: 1, stderr: 2 } as const

export const API_VERSION = '1.43'
/** The oldest API version the engine answers (Docker's own minimum). */
export const MIN_API_VERSION = '1.24'
export const ZERO_TIME = '0001-01-01T00:00:00Z'

export type * from './wire/container-create.js'
export type * from './wire/containers.js'
export type * from './wire/images.js'
export type * from './wire/kernel.js'
export type * from './wire/networks.js'
export type * from './wire/volumes.js'
