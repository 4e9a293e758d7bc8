// Docker's rule for volumes: the first time an empty volume is mounted over a path where the image
// has files, those files are copied into the volume (so `-v htdocs:/usr/local/apache2/htdocs`
// starts with the image's index.html, and a database image's VOLUME starts with its skeleton).
//
// The files are the image's, so nobody vouches for them: a symlink in the image (/usr -> /), a
// FIFO, a path that leads out through `..` — any of these, followed on the host, would read or
// write the host's own files, or block the copier forever on a FIFO's open(2). So the copy is never
// done by the engine on the host's view of things. It runs in a child process (the engine goes on
// serving; a volume may be large), which:
//   1. unshare --mount: a mount namespace of its own, so every mount below vanishes with it,
//      whatever happens (kill -9 included): nothing to clean up on the host;
//   2. mounts a tmpfs, and on it the image's layers as an overlay (the same merged view the
//      container gets, whiteouts applied) with a throw-away upper directory;
//   3. bind-mounts the volume's directory and a copy of the static busybox into that view;
//   4. chroot(2)s into it and copies with busybox `cp -a` (symlinks copied as symlinks, FIFOs and
//      devices recreated, never opened). Inside the chroot every path — the image's own absolute
//      symlinks included — resolves in the image, and the only host directory in reach is the volume.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { tracedAsync } from '../trace/trace.js'
import { planOverlayMount } from './overlay.js'

/** A static busybox on the host (Debian's busybox-static): it runs in any image's view. */
export const STATIC_BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox'

export interface CopyUpRequest {
  /** The image's layer directories, top first (short links are fine: see image/layer-links.ts). */
  lowerdirs: string[]
  /** The path in the image ("/usr/local/apache2/htdocs"). */
  path: string
  /** The volume's _data directory (empty). */
  dest: string
  /** A directory of the engine's where the throw-away mount point may be made (<root>/tmp). */
  tmpDir: string
}

/** The shell program the child runs; every value is passed as a positional argument, never spliced. */
const SCRIPT = `set -eu
T="$1"; BUSYBOX="$2"; DEST="$3"; P="$4"; LOWER="$5"; CWD="$6"
mount -t tmpfs -o mode=0700 tocker-copyup "$T"
mkdir "$T/upper" "$T/work" "$T/root"
cd "$CWD"
mount -t overlay -o "lowerdir=$LOWER,upperdir=$T/upper,workdir=$T/work" overlay "$T/root"
cd /
mkdir -p "$T/root/.tocker-copyup/volume"
mount --bind "$DEST" "$T/root/.tocker-copyup/volume"
cp "$BUSYBOX" "$T/root/.tocker-copyup/busybox"
exec chroot "$T/root" /.tocker-copyup/busybox sh -c '
  [ -d "$1" ] || exit 0
  cd "$1"
  B=/.tocker-copyup/busybox
  $B cp -a . /.tocker-copyup/volume/
  $B chown "$($B stat -c %u:%g .)" /.tocker-copyup/volume
  $B chmod "$($B stat -c %a .)" /.tocker-copyup/volume
' copy-up "$P"
`

/** Copy the image's content at `path` into the volume directory `dest`. */
export function copyUp(req: CopyUpRequest): Promise<void> {
  if (req.lowerdirs.length === 0) return Promise.resolve()
  // The overlay's options, relative to the layers' common directory when long (see overlay.ts).
  const plan = planOverlayMount({ lowerdir: req.lowerdirs, upperdir: '/U', workdir: '/W' })
  const lower = /^lowerdir=([^,]*)/.exec(plan.data)![1]
  return tracedAsync(
    'mount',
    'copy-up',
    () => `${req.path} of the image -> ${req.dest} (unshare --mount; overlay of ${req.lowerdirs.length} layer(s) on a tmpfs; chroot; busybox cp -a)`,
    () =>
      new Promise<void>((resolve, reject) => {
        const args = ['--mount', '--propagation', 'private', '--', 'sh', '-c', SCRIPT, 'copy-up', req.tmpDir, STATIC_BUSYBOX, req.dest, req.path, lower, plan.cwd ?? '/']
        const child = spawn('unshare', args, { stdio: ['ignore', 'ignore', 'pipe'] })
        let stderr = ''
        child.stderr.on('data', (d: Buffer) => {
          if (stderr.length < 4096) stderr += d
        })
        child.on('error', reject)
        child.on('close', (code) => {
          if (code === 0) return resolve()
          reject(new TockerError(`copying the image's content at ${req.path} into the volume: ${stderr.trim() || `exit status ${code}`}`, { code: 'ECOPYUP' }))
        })
      }),
  )
}
