#!/bin/sh
# The lab VM's provisioning (Vagrantfile), as root in the VM:
#   lab-provision.sh setup    once: Node.js, the Korean locale, then bin/lab (packages, npm ci, build,
#                             offline images, a first container)
#   lab-provision.sh mounts   at every boot: node_modules/ on the VM's own disk, bind-mounted over
#                             the shared folder's (npm's symlinks fail on a Windows computer's shared
#                             folder; its ~10 000 small files are slow on any)
# TOCKER_LAB_DIR is the project in the VM (default /vagrant); TOCKER_LAB_LOCAL is where the VM keeps
# its own files (default /var/lib/tocker-lab); TOCKER_LAB_LOCALE_GEN and TOCKER_LAB_USER_HOME let
# test/docs/lab-vm.test.ts run both modes in a sandbox.
set -eu
PROJECT="${TOCKER_LAB_DIR:-/vagrant}"
LOCAL="${TOCKER_LAB_LOCAL:-/var/lib/tocker-lab}"
LOCALE_GEN="${TOCKER_LAB_LOCALE_GEN:-/etc/locale.gen}"
VAGRANT_HOME_DIR="${TOCKER_LAB_USER_HOME:-/home/vagrant}"

mounts() {
  mkdir -p "$LOCAL/node_modules" "$PROJECT/node_modules"
  # Twice would stack a second mount on the first: `vagrant reload --provision` runs this again.
  if ! mountpoint -q "$PROJECT/node_modules"; then
    mount --bind "$LOCAL/node_modules" "$PROJECT/node_modules"
  fi
}

setup() {
  mounts
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # bin/lab installs the rest; it needs Node.js (Debian 13: 20.x) to start. locales: the guide's
  # Korean output (LANG=ko_KR.UTF-8) without "cannot change locale" warnings from bash and ls.
  apt-get install -y -qq --no-install-recommends nodejs npm locales ca-certificates >/dev/null
  if ! locale -a 2>/dev/null | grep -qi '^ko_KR\.utf-\?8$'; then
    sed -i 's/^# *\(ko_KR\.UTF-8 UTF-8\)/\1/' "$LOCALE_GEN"
    grep -q '^ko_KR\.UTF-8 UTF-8' "$LOCALE_GEN" || echo 'ko_KR.UTF-8 UTF-8' >> "$LOCALE_GEN"
    locale-gen >/dev/null
  fi
  cd "$PROJECT"
  bin/lab
  # `vagrant ssh` lands in the vagrant user's home: start the lab in the project instead.
  if [ -d "$VAGRANT_HOME_DIR" ] && ! grep -q 'tocker lab' "$VAGRANT_HOME_DIR/.bashrc" 2>/dev/null; then
    printf '\n# tocker lab\ncd %s\n' "$PROJECT" >> "$VAGRANT_HOME_DIR/.bashrc"
  fi
}

case "${1:-}" in
  setup) setup ;;
  mounts) mounts ;;
  *) echo "usage: $0 setup|mounts" >&2; exit 2 ;;
esac
