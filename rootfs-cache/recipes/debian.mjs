// The debian image: a minimal Debian of this machine's own release (lib/debootstrap.mjs), one layer,
// configured as Docker Hub's `debian` image is (Cmd bash, the same PATH). Tagged with the release's
// codename and number and `latest`, e.g. debian:bookworm, debian:12, debian:latest.
export const DEBIAN_CONFIG = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  Cmd: ['bash'],
}

/** Full image names for a Debian release. */
export function debianNames({ suite, version }) {
  return [...new Set([suite, version, 'latest'])].map((tag) => `docker.io/library/debian:${tag}`)
}
