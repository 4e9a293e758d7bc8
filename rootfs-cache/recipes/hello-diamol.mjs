// diamol/ch02-hello-diamol: the first image of the book "Learn Docker in a Month of Lunches"
// (Elton Stoneman), which Korean beginner tutorials run to show what a container is: it prints its
// name (the container's hostname), the kernel it runs on, and its own IP address, then exits.
// A re-creation on the busybox layer (the original is a shell command on the book's Alpine-based
// diamol/base), so that `tocker run diamol/ch02-hello-diamol` works without Docker Hub.
export const HELLO_DIAMOL_IMAGE = 'docker.io/diamol/ch02-hello-diamol:latest'

const SCRIPT = `#!/bin/sh
echo "---------------------"
echo "Hello from Chapter 2!"
echo "---------------------"
echo "My name is:"
hostname
echo "---------------------"
echo "Im running on:"
uname -s -r -m
echo "---------------------"
echo "My address is:"
addr=$(ifconfig eth0 2>/dev/null | grep 'inet addr' | sed 's/^ *//')
echo "\${addr:-(no network)}"
echo "---------------------"
`

export const HELLO_DIAMOL_CONFIG = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  Cmd: ['/cmd.sh'],
}

export function helloDiamolLayerEntries(mtime) {
  return [{ path: 'cmd.sh', type: 'file', mode: 0o755, data: SCRIPT, mtime }]
}
