// The small httpd image, `httpd:busybox`: the busybox layer (byte for byte, so registries and stores
// share it) plus a web root with "It works!", laid out like Docker Hub's httpd image
// (/usr/local/apache2, port 80, Cmd httpd-foreground, StopSignal SIGWINCH). The server is busybox's
// httpd: the image starts in milliseconds, which is why the tests use it. `httpd:latest` is Apache
// (recipes/httpd.mjs).
export const HTTPD_BUSYBOX_IMAGE = 'docker.io/library/httpd:busybox'

export const INDEX_HTML = '<html><body><h1>It works!</h1></body></html>\n'

// busybox httpd handles neither SIGTERM nor SIGWINCH, and the kernel drops every signal that a PID
// namespace's init has no handler for: exec'd as PID 1 it could only be stopped by SIGKILL, after
// `docker stop`'s 10 s. So, like the official image's httpd-foreground, a script starts it: this
// shell stays PID 1, traps the stop signals, and stops httpd. -vv logs every request to stderr
// ("[::ffff:172.17.0.1]:41234: url:/" then "...: response:200"), which `docker logs` shows.
// busybox httpd says nothing when it starts, so a learner's `docker run httpd` looked hung: the
// script says what started, once httpd is listening (or that it stopped, with httpd's own error).
export const HTTPD_FOREGROUND = `#!/bin/sh
# Runs busybox httpd in the foreground; stops it on SIGWINCH (docker stop), SIGTERM or SIGINT.
trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT WINCH
httpd -f -vv -p 80 -h /usr/local/apache2/htdocs "$@" &
child=$!
port=
i=0
while [ -z "$port" ] && [ $i -lt 100 ] && kill -0 "$child" 2>/dev/null; do
  port=$(netstat -ltn 2>/dev/null | awk '/LISTEN/ { n = split($4, a, ":"); print a[n]; exit }')
  [ -n "$port" ] || usleep 10000
  i=$((i + 1))
done
[ -n "$port" ] && echo "httpd-foreground: busybox httpd (pid $child) is listening on port $port, serving /usr/local/apache2/htdocs; 'docker stop' (SIGWINCH), SIGTERM or Ctrl-C stops it" >&2
wait "$child"
`

export const HTTPD_BUSYBOX_CONFIG = {
  ExposedPorts: { '80/tcp': {} },
  Env: ['PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HTTPD_PREFIX=/usr/local/apache2'],
  Cmd: ['httpd-foreground'],
  WorkingDir: '/usr/local/apache2',
  StopSignal: 'SIGWINCH',
}

/** Tar entries of the httpd layer (on top of busybox). */
export function httpdBusyboxLayerEntries(mtime) {
  const dir = (path) => ({ path, type: 'dir', mode: 0o755, mtime })
  return [
    dir('usr'),
    dir('usr/local'),
    dir('usr/local/apache2'),
    dir('usr/local/apache2/htdocs'),
    { path: 'usr/local/apache2/htdocs/index.html', type: 'file', mode: 0o644, data: INDEX_HTML, mtime },
    dir('usr/local/bin'),
    { path: 'usr/local/bin/httpd-foreground', type: 'file', mode: 0o755, data: HTTPD_FOREGROUND, mtime },
  ]
}
