// The registry client (OCI distribution spec): transport, authentication, manifests, verified blobs,
// and where its settings come from. Other folders import it from here.
export { RegistryClient, MANIFEST_ACCEPT, choosePlatform, type FetchedManifest, type ResolvedImage } from './client.js'
export { loadRegistryConfig, saveCredentials, removeCredentials, credentialKey, credentialsPath, configDir, DOCKER_HUB_AUTH_KEY, type Credentials, type RegistryConfig } from './config.js'
export { endpointsFor, isInsecureRegistry, DOCKER_HUB_API_HOST, type Endpoint } from './endpoints.js'
export { hostPlatform, parsePlatform, formatPlatform, normalizePlatform } from './platform.js'
export { BlobVerificationError, VerifyingStream } from './verify.js'
