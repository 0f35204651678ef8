#!/usr/bin/env bash
# Installs a packed verdant tarball the way a user does and runs a first program with it
# (test/install/smoke.js: load, backend, greenlet ping-pong, green echo). Three ways:
#
#   scripts/install-test.sh TARBALL [--node "20.20.2 24.21.0"]                  # this machine's architecture
#   scripts/install-test.sh TARBALL --arch arm64 [--node "20.20.2 24.21.0"] [--suite runtime]
#                           [--suite-backends "fcontext threads"]               # another one, under qemu-user
#   scripts/install-test.sh TARBALL --from-source                               # the fallback build
#
# - This machine's architecture: in a minimal Debian root made with debootstrap (--variant=minbase: no compiler,
#   no make, no python) holding only the official Node binary of the release under test (and libatomic1, which
#   Node 26 links) and the npm client, so
#   `npm install` can only succeed through a prebuilt binary. The root is made once and kept in $VERDANT_ROOTFS
#   (default .rootfs/ in the repository; delete it to make it anew). Needs root and debootstrap.
# - Another architecture (arm64 on x86-64): npm and the program run on that architecture's official Node under
#   qemu-user (registered with binfmt_misc, so that processes it starts are emulated too; needs root), with
#   Debian's cross libraries (/usr/aarch64-linux-gnu) as its root. This machine has a compiler, so the test checks
#   that npm built nothing (no build/ in the installed package): a fallback build would have made an x86-64 binary
#   that the arm64 Node cannot load. --suite then runs one of the repository's compiled test suites
#   (dist/test/<suite>, from `npm run build:ts`) against the installed package, with mocha's and the tests' own
#   time limits scaled for emulation (VERDANT_TEST_TIME_SCALE); each of its tests counts. --suite-backends runs
#   it once per backend named (default: the fast one only).
# - --from-source: this machine's Node and `npm install --build-from-source`, which needs the compiler.
#
# --backend names the backend the program must get (default: fcontext, which x64 and arm64 both validate). Prints
# the install time per Node release and `passed=N failed=N` at the end (one test per release); appends that line to
# $VERDANT_COUNTS when set. Exit status: 0 if all passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"

TARBALL="" VERSIONS="$(node_versions | tr '\n' ' ')" ARCH="$(node_arch)" BACKEND=fcontext MODE=prebuilt SUITE=""
SUITE_BACKENDS=fcontext
# How much slower than this machine an emulated CPU is allowed to be, in the suite's time limits.
EMULATION_TIME_SCALE=10
while [ $# -gt 0 ]; do
  case "$1" in
    --from-source) MODE=source; shift ;;
    --arch) ARCH="$2"; shift 2 ;;
    --node) VERSIONS="$2"; shift 2 ;;
    --backend) BACKEND="$2"; shift 2 ;;
    --suite) SUITE="$2"; shift 2 ;;
    --suite-backends) SUITE_BACKENDS="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install-test: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) TARBALL="$(realpath "$1")"; shift ;;
  esac
done
[ -f "$TARBALL" ] || { echo "install-test: no tarball given (see --help)" >&2; exit 2; }
if [ -n "$SUITE" ]; then
  [ "$ARCH" != "$(node_arch)" ] && [ "$MODE" = prebuilt ] || { echo "install-test: --suite runs under emulation only (with --arch)" >&2; exit 2; }
  ls "$ROOT/dist/test/$SUITE/"*.test.js >/dev/null 2>&1 || { echo "install-test: no compiled suite dist/test/$SUITE (npm run build:ts)" >&2; exit 2; }
fi
NPM_CLI="$(readlink -f "$(command -v npm)")"    # the npm client: only the installer, the same for every release
NPM_DIR="$(dirname "$(dirname "$NPM_CLI")")"

log() { printf '[install-test] %s\n' "$*"; }

# counted PASSED FAILED LABEL: the closing line, also appended to $VERDANT_COUNTS.
counted() {
  echo "passed=$1 failed=$2 # $3"
  [ -n "${VERDANT_COUNTS:-}" ] && echo "passed=$1 failed=$2 # $3" >>"$VERDANT_COUNTS"
  [ "$2" -eq 0 ]
}

# The certificate authorities this machine's npm trusts beyond Node's own (a network whose TLS goes through a
# proxy of its own): NODE_EXTRA_CA_CERTS and npm's cafile setting. An npm run by another Node (the root's, or an
# emulated one) reads neither this machine's environment nor its global npmrc, so each is passed on: as these
# paths (HOST_CA_ENV), or copied into the root (ROOT_CA_ENV, CA_COPIES).
HOST_CA_ENV=() ROOT_CA_ENV=() CA_COPIES=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  HOST_CA_ENV+=("NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
  ROOT_CA_ENV+=("NODE_EXTRA_CA_CERTS=/etc/verdant-extra-ca.pem") CA_COPIES+=("$NODE_EXTRA_CA_CERTS:/etc/verdant-extra-ca.pem")
fi
npm_cafile="$(npm config get cafile 2>/dev/null)"
if [ -n "$npm_cafile" ] && [ -f "$npm_cafile" ]; then
  HOST_CA_ENV+=("npm_config_cafile=$npm_cafile")
  ROOT_CA_ENV+=("npm_config_cafile=/etc/verdant-npm-ca.pem") CA_COPIES+=("$npm_cafile:/etc/verdant-npm-ca.pem")
fi

# new_app DIR: an empty project with the smoke program.
new_app() {
  rm -rf "$1" && mkdir -p "$1" && cp "$ROOT/test/install/smoke.js" "$1/smoke.js" &&
    echo '{"name":"app","private":true}' >"$1/package.json"
}

# --- from source, on this machine ----------------------------------------------------------------------------
from_source() {
  local app
  app="$(mktemp -d "${TMPDIR:-/tmp}/verdant-from-source.XXXXXX")"
  new_app "$app"
  # node-gyp needs this Node's headers: where they are installed beside it (Debian's nodejs puts them in
  # /usr/include/node) and npm is not told already, point it there rather than at a download.
  local nodedir=()
  local prefix
  prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  if [ -z "$(npm config get nodedir 2>/dev/null | grep -v '^null$\|^undefined$')" ] && [ -f "$prefix/include/node/node.h" ]; then
    nodedir=("npm_config_nodedir=$prefix")
  fi
  local start=$SECONDS
  if (cd "$app" && env "${nodedir[@]}" npm install --build-from-source --no-audit --no-fund --loglevel=error "$TARBALL") &&
     [ -f "$app/node_modules/verdant/build/Release/verdant.node" ] && (cd "$app" && node smoke.js fcontext); then
    log "built from source with node $(node -v) in $((SECONDS - start)) s; smoke test passed"
    rm -rf "$app"; counted 1 0 "install from source"; return
  fi
  log "npm install --build-from-source or its smoke test FAILED"
  rm -rf "$app"; counted 0 1 "install from source"
}

# --- this machine's architecture, in a Debian root with no compiler ----------------------------------------------
ROOTFS="${VERDANT_ROOTFS:-$ROOT/.rootfs}/bookworm-minbase-$ARCH"

# What the root holds beyond minbase: libatomic1, which the official Node 26 binary links (a requirement of Node's,
# as glibc is). A root made with another list is made anew.
ROOT_PACKAGES=libatomic1

make_rootfs() {
  [ "$(cat "$ROOTFS/.complete" 2>/dev/null)" = "$ROOT_PACKAGES" ] && return 0
  rm -rf "$ROOTFS" && mkdir -p "$ROOTFS" || return 1
  log "debootstrap --variant=minbase --include=$ROOT_PACKAGES bookworm $ROOTFS"
  debootstrap --variant=minbase --include="$ROOT_PACKAGES" bookworm "$ROOTFS" http://deb.debian.org/debian \
    >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log"; return 1; }
  echo "$ROOT_PACKAGES" >"$ROOTFS/.complete"
}

unmount_root() { umount -R "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" 2>/dev/null; }

# in_root CMD: runs a shell command in the root with /proc, /dev and /sys mounted, and this machine's DNS.
in_root() {
  local rc
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  local copy
  for copy in "${CA_COPIES[@]}"; do cp "${copy%%:*}" "$ROOTFS${copy#*:}"; done
  mount -t proc proc "$ROOTFS/proc" && mount --rbind /dev "$ROOTFS/dev" && mount --rbind /sys "$ROOTFS/sys" ||
    { log "cannot mount /proc, /dev, /sys in the root"; unmount_root; return 1; }
  chroot "$ROOTFS" /usr/bin/env -i HOME=/root PATH=/opt/node/bin:/usr/bin:/bin TMPDIR=/tmp LANG=C.UTF-8 \
    npm_config_update_notifier=false "${ROOT_CA_ENV[@]}" /bin/sh -c "$1"
  rc=$?
  unmount_root
  return "$rc"
}

# in_root_release VERSION NODEDIR: installs the tarball with that Node in the root and runs the program.
in_root_release() {
  local v="$1" nodedir="$2"
  rm -rf "$ROOTFS/opt/node" "$ROOTFS/pkg" "$ROOTFS/root/.npm"
  mkdir -p "$ROOTFS/opt/node/bin" "$ROOTFS/opt/node/lib/node_modules" "$ROOTFS/pkg"
  cp "$nodedir/bin/node" "$ROOTFS/opt/node/bin/node"
  cp -a "$NPM_DIR" "$ROOTFS/opt/node/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/opt/node/bin/npm"
  cp "$TARBALL" "$ROOTFS/pkg/verdant.tgz"
  new_app "$ROOTFS/app" || return 1
  # The root must hold no compiler, or the test would not show that the prebuilt binary was used.
  if ! in_root 'for t in cc gcc g++ c++ clang make python3; do command -v $t && exit 1; done; exit 0' >/dev/null; then
    log "node $v: the root has a compiler; the test would prove nothing"; return 1
  fi
  local start_ms
  start_ms="$(date +%s%3N)"
  in_root 'cd /app && npm install --no-audit --no-fund --loglevel=error /pkg/verdant.tgz' ||
    { log "node $v linux-$ARCH: npm install FAILED"; return 1; }
  log "node $v linux-$ARCH: installed in $(($(date +%s%3N) - start_ms)) ms with no compiler"
  in_root "cd /app && node smoke.js $BACKEND"
}

# --- another architecture, under qemu-user -----------------------------------------------------------------------
# emulated_release VERSION NODEDIR: npm, the program and the --suite on that release's Node for $ARCH, under qemu.
emulated_release() {
  local v="$1" nodedir="$2" work
  emulation_ready "$ARCH" "$nodedir/bin/node" || return 1
  work="$(mktemp -d "${TMPDIR:-/tmp}/verdant-install-$ARCH.XXXXXX")"
  new_app "$work/app" || return 1
  local start_ms rc=1
  start_ms="$(date +%s%3N)"
  # Every `node` npm starts (the package's install step among them) must be the emulated one.
  if (cd "$work/app" && env PATH="$nodedir/bin:$PATH" "${HOST_CA_ENV[@]}" node "$NPM_CLI" install --no-audit \
        --no-fund --loglevel=error --cache "$work/npm-cache" "$TARBALL"); then
    log "node $v linux-$ARCH: installed in $(($(date +%s%3N) - start_ms)) ms under emulation"
    if [ -e "$work/app/node_modules/verdant/build" ]; then
      log "node $v linux-$ARCH: npm built the addon from source instead of using the prebuilt binary"
    else
      (cd "$work/app" && PATH="$nodedir/bin:$PATH" node smoke.js "$BACKEND") && rc=0
    fi
  else
    log "node $v linux-$ARCH: npm install FAILED"
  fi
  # The suite counts its own tests; the release counts as installed either way.
  if [ "$rc" -eq 0 ] && [ -n "$SUITE" ]; then
    local backend
    for backend in $SUITE_BACKENDS; do emulated_suite "$v" "$nodedir" "$work/app" "$backend"; done
  fi
  rm -rf "$work"
  return "$rc"
}

# emulated_suite VERSION NODEDIR APP BACKEND: the compiled $SUITE run by the emulated Node against the package
# installed in APP, on BACKEND (fcontext: VERDANT_BACKEND unset, so the suite also sees the fast one validate). The
# tests reach verdant as `verdant` and through paths relative to dist/test (../../lib, the checkout's bin/): APP
# gets those as links into the installed package, so that every path ends in the same modules.
emulated_suite() {
  local v="$1" nodedir="$2" app="$3" backend="$4" counts="$3/.counts.$4" start=$SECONDS
  local label="$SUITE suite on node $v linux-$ARCH, $backend backend, emulated" backend_env=(-u VERDANT_BACKEND)
  [ "$backend" = fcontext ] || backend_env=(VERDANT_BACKEND="$backend")
  if [ ! -d "$app/dist/test/$SUITE" ]; then
    mkdir -p "$app/dist/test" || return 1
    cp -r "$ROOT/dist/test/$SUITE" "$ROOT/dist/test/support" "$app/dist/test/" || return 1
    ln -s ../node_modules/verdant/dist/lib "$app/dist/lib" && ln -s node_modules/verdant/bin "$app/bin" || return 1
  fi
  (cd "$app" && env "${backend_env[@]}" PATH="$nodedir/bin:$PATH" VERDANT_MOCHA_COUNTS="$counts" \
     VERDANT_TEST_TIME_SCALE="$EMULATION_TIME_SCALE" node "$ROOT/node_modules/mocha/bin/mocha.js" --no-config \
     -n expose-gc --timeout $((60000 * EMULATION_TIME_SCALE)) --reporter "$ROOT/scripts/mocha-counts-reporter.js" \
     "dist/test/$SUITE/*.test.js")
  local line
  line="$(tail -1 "$counts" 2>/dev/null)"
  if [ -z "$line" ]; then
    log "node $v linux-$ARCH: the $SUITE suite on $backend did not run to its end"; counted 0 1 "$label"
    return 1
  fi
  log "node $v linux-$ARCH: the $SUITE suite on $backend ran in $((SECONDS - start)) s under emulation: $line"
  local passed failed
  passed="$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$line")" failed="$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")"
  counted "$passed" "$failed" "$label"
}

# --- main ------------------------------------------------------------------------------------------------------
if [ "$MODE" = source ]; then from_source; exit; fi

native=1
[ "$ARCH" = "$(node_arch)" ] || native=0
if [ "$native" = 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install-test: needs root (debootstrap, chroot)" >&2; exit 2; }
  command -v debootstrap >/dev/null || { echo "install-test: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
  trap unmount_root EXIT
  if ! make_rootfs; then
    log "cannot make the Debian root"
    counted 0 1 "install with no compiler, linux-$ARCH"; exit
  fi
fi
passed=0 failed=0
for v in $VERSIONS; do
  if ! nodedir="$(node_dist "$v" "$ARCH")"; then
    log "node $v linux-$ARCH: cannot fetch node"; failed=$((failed + 1)); continue
  fi
  if [ "$native" = 1 ]; then in_root_release "$v" "$nodedir"; else emulated_release "$v" "$nodedir"; fi
  if [ $? -eq 0 ]; then
    log "node $v linux-$ARCH: smoke test passed"; passed=$((passed + 1))
  else
    log "node $v linux-$ARCH: FAILED"; failed=$((failed + 1))
  fi
done
if [ "$native" = 1 ]; then
  counted "$passed" "$failed" "install with no compiler, linux-$ARCH"
else
  counted "$passed" "$failed" "install under emulation, linux-$ARCH"
fi
