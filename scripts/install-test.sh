#!/usr/bin/env bash
# Installs a packed verdant tarball the way a user does, on a system with no compiler, and runs a first program
# with it (test/install/smoke.js: load, backend, greenlet ping-pong, green echo).
#
# The system is a minimal Debian root made with debootstrap (--variant=minbase: no compiler, no make, no python),
# holding only the official Node binary of the release under test and the npm client: `npm install` there can only
# succeed through a prebuilt binary. The root is made once and kept in $VERDANT_ROOTFS (default .rootfs/ in the
# repository; delete it to make it anew).
#
#   scripts/install-test.sh TARBALL [--node "20.20.2 24.21.0"] [--backend fcontext]
#   scripts/install-test.sh TARBALL --from-source
#
# --from-source installs on this machine instead, with its Node and `npm install --build-from-source`: the
# fallback build a user without a fitting prebuild gets (needs the compiler that the root lacks).
#
# Needs root (chroot, mounts) and debootstrap. Prints the install time per Node release and `passed=N failed=N` at
# the end (one test per release); appends that line to $VERDANT_COUNTS when set. Exit status: 0 if all passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"

TARBALL="" VERSIONS="$(node_versions | tr '\n' ' ')" BACKEND=fcontext FROM_SOURCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --from-source) FROM_SOURCE=1; shift ;;
    --node) VERSIONS="$2"; shift 2 ;;
    --backend) BACKEND="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install-test: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) TARBALL="$(realpath "$1")"; shift ;;
  esac
done
[ -f "$TARBALL" ] || { echo "install-test: no tarball given (see --help)" >&2; exit 2; }
log() { printf '[install-test] %s\n' "$*"; }

# counted PASSED FAILED LABEL: the closing line, also appended to $VERDANT_COUNTS.
counted() {
  echo "passed=$1 failed=$2 # $3"
  [ -n "${VERDANT_COUNTS:-}" ] && echo "passed=$1 failed=$2 # $3" >>"$VERDANT_COUNTS"
  [ "$2" -eq 0 ]
}

if [ "$FROM_SOURCE" = 1 ]; then
  app="$(mktemp -d "${TMPDIR:-/tmp}/verdant-from-source.XXXXXX")"
  trap 'rm -rf "$app"' EXIT
  cp "$ROOT/test/install/smoke.js" "$app/smoke.js"
  echo '{"name":"app","private":true}' >"$app/package.json"
  start=$SECONDS
  if (cd "$app" && npm install --build-from-source --no-audit --no-fund --loglevel=error "$TARBALL") &&
     [ -f "$app/node_modules/verdant/build/Release/verdant.node" ] && (cd "$app" && node smoke.js "$BACKEND"); then
    log "built from source with node $(node -v) in $((SECONDS - start)) s; smoke test passed"
    counted 1 0 "install from source"; exit
  fi
  log "npm install --build-from-source or its smoke test FAILED"
  counted 0 1 "install from source"; exit
fi
[ "$(id -u)" -eq 0 ] || { echo "install-test: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "install-test: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

ARCH="$(node_arch)"
ROOTFS="${VERDANT_ROOTFS:-$ROOT/.rootfs}/bookworm-minbase-$ARCH"

make_rootfs() {
  [ -f "$ROOTFS/.complete" ] && return 0
  rm -rf "$ROOTFS" && mkdir -p "$ROOTFS" || return 1
  log "debootstrap --variant=minbase bookworm $ROOTFS"
  debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >"$ROOTFS.log" 2>&1 ||
    { tail -20 "$ROOTFS.log"; return 1; }
  touch "$ROOTFS/.complete"
}

# The CA certificates this machine adds to Node's (NODE_EXTRA_CA_CERTS: a network whose TLS goes through a proxy
# of its own), for npm in the root; none when this machine adds none.
EXTRA_CA=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  EXTRA_CA=("NODE_EXTRA_CA_CERTS=/etc/verdant-extra-ca.pem")
fi

unmount_root() { umount -R "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" 2>/dev/null; }
trap unmount_root EXIT

# in_root CMD...: runs a shell command in the root with /proc, /dev and /sys mounted, and this machine's DNS.
in_root() {
  local rc
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  [ ${#EXTRA_CA[@]} -gt 0 ] && cp "$NODE_EXTRA_CA_CERTS" "$ROOTFS/etc/verdant-extra-ca.pem"
  mount -t proc proc "$ROOTFS/proc" && mount --rbind /dev "$ROOTFS/dev" && mount --rbind /sys "$ROOTFS/sys" ||
    { log "cannot mount /proc, /dev, /sys in the root"; unmount_root; return 1; }
  chroot "$ROOTFS" /usr/bin/env -i HOME=/root PATH=/opt/node/bin:/usr/bin:/bin TMPDIR=/tmp LANG=C.UTF-8 \
    npm_config_update_notifier=false "${EXTRA_CA[@]}" /bin/sh -c "$1"
  rc=$?
  unmount_root
  return "$rc"
}

passed=0 failed=0
if ! make_rootfs; then
  log "cannot make the Debian root: counted as 1 failure"
  failed=1
else
  # The npm client is this machine's, copied in: it is only the installer, the same for every release.
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  for v in $VERSIONS; do
    label="node $v linux-$ARCH"
    if ! nodedir="$(node_dist "$v" "$ARCH")"; then log "$label: cannot fetch node"; failed=$((failed + 1)); continue; fi
    rm -rf "$ROOTFS/opt/node" "$ROOTFS/app" "$ROOTFS/pkg" "$ROOTFS/root/.npm"
    mkdir -p "$ROOTFS/opt/node/bin" "$ROOTFS/opt/node/lib/node_modules" "$ROOTFS/app" "$ROOTFS/pkg"
    cp "$nodedir/bin/node" "$ROOTFS/opt/node/bin/node"
    cp -a "$npm_dir" "$ROOTFS/opt/node/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/opt/node/bin/npm"
    cp "$TARBALL" "$ROOTFS/pkg/verdant.tgz"
    cp "$ROOT/test/install/smoke.js" "$ROOTFS/app/smoke.js"
    # The root must hold no compiler, or the test would not show that the prebuilt binary was used.
    if in_root 'for t in cc gcc g++ c++ clang make python3; do command -v $t && exit 1; done; exit 0' >/dev/null; then
      start_ns="$(date +%s%N)"
      if in_root 'cd /app && echo "{\"name\":\"app\",\"private\":true}" >package.json &&
                  npm install --no-audit --no-fund --loglevel=error /pkg/verdant.tgz'; then
        took="$(( ($(date +%s%N) - start_ns) / 1000000 ))"
        if in_root "cd /app && node smoke.js $BACKEND"; then
          log "$label: installed in $took ms with no compiler; smoke test passed"
          passed=$((passed + 1))
        else
          log "$label: installed in $took ms, but the smoke test FAILED"; failed=$((failed + 1))
        fi
      else
        log "$label: npm install FAILED"; failed=$((failed + 1))
      fi
    else
      log "$label: the root has a compiler; the test would prove nothing"; failed=$((failed + 1))
    fi
  done
fi
counted "$passed" "$failed" "install with no compiler, linux-$ARCH"
