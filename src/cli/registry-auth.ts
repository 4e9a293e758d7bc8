// The credentials a pull needs, as Docker's CLI sends them: the client keeps them (`tocker login`
// writes $TOCKER_CONFIG/config.json) and puts the ones for the image's registry into the
// request's X-Registry-Auth header (base64url of the JSON AuthConfig); the engine never reads
// the client's file.
import type { AuthConfig } from '../api/types.js'
import type { Reference } from '../image/reference.js'
import { storedCredentials } from '../registry-credentials.js'

export function encodeAuth(config: AuthConfig): string {
  return Buffer.from(JSON.stringify(config)).toString('base64url')
}

/** X-Registry-Auth for `ref`'s registry, or undefined when `tocker login` stored none. */
export function registryAuthFor(ref: Reference): string | undefined {
  const creds = storedCredentials(ref.domain)
  return creds ? encodeAuth({ username: creds.username, password: creds.password, serveraddress: ref.domain }) : undefined
}
