# Sourced by scripts/prebuild.sh, scripts/node-matrix.sh, scripts/sanitize.sh and scripts/install-test.sh: fetching
# an official Node release from npm, building verdant.node against it away from the checkout's own build/, and
# running another architecture's Node under emulation.
#
# Needs ROOT (the repository) set by the caller, and node_modules installed (node-gyp, node-addon-api).

# Where official Node releases are unpacked: <dir>/<arch>/<version>/package/{bin/node,include/node}.
NODE_DIST_DIR="${NODE_DIST_DIR:-$ROOT/.matrix}"

# The Node releases verdant supports and ships binaries for, one per line of scripts/node-versions.
node_versions() {
  grep -vE '^[[:space:]]*(#|$)' "$ROOT/scripts/node-versions"
}

# node_dist VERSION ARCH: prints the directory of the unpacked official release (bin/node and include/node),
# fetching it first with `npm pack node-linux-ARCH@VERSION` (only the npm registry is needed). $VERDANT_NODE_CACHE
# may name a directory holding <version>/package or <version>/node-linux-ARCH-<version>.tgz to copy instead.
# Returns non-zero, with the reason on stderr, if it cannot.
node_dist() {
  local v="$1" arch="$2" dir="$NODE_DIST_DIR/$2/$1" cache="${VERDANT_NODE_CACHE:-}"
  local tgz="node-linux-$arch-$v.tgz"
  if [ -x "$dir/package/bin/node" ] && [ -f "$dir/package/include/node/node.h" ]; then
    echo "$dir/package"
    return 0
  fi
  mkdir -p "$dir" && rm -rf "$dir/package" || return 1
  if [ -n "$cache" ] && [ -x "$cache/$v/package/bin/node" ]; then
    cp -a "$cache/$v/package" "$dir/package" || return 1
  else
    if [ -n "$cache" ] && [ -f "$cache/$v/$tgz" ]; then
      cp "$cache/$v/$tgz" "$dir/$tgz" || return 1
    elif ! (cd "$dir" && npm pack --silent "node-linux-$arch@$v" >"$dir/fetch.log" 2>&1); then
      echo "node_dist: npm pack node-linux-$arch@$v failed:" >&2
      tail -20 "$dir/fetch.log" >&2
      rm -f "$dir/$tgz"
      return 1
    fi
    tar -xzf "$dir/$tgz" -C "$dir" || { echo "node_dist: cannot unpack $tgz" >&2; rm -f "$dir/$tgz"; return 1; }
    rm -f "$dir/$tgz"  # keep only the unpacked copy
  fi
  [ -x "$dir/package/bin/node" ] || { echo "node_dist: node-linux-$arch@$v has no bin/node" >&2; return 1; }
  [ -f "$dir/package/include/node/node.h" ] || { echo "node_dist: node-linux-$arch@$v has no headers" >&2; return 1; }
  echo "$dir/package"
}

# node_abi NODEDIR: the NODE_MODULE_VERSION of those headers (the number in prebuilds' node.abi<N>.node names).
node_abi() {
  sed -nE 's/^#define NODE_MODULE_VERSION ([0-9]+).*/\1/p' "$1/include/node/node_version.h"
}

# addon_build NODEDIR ARCH OUT LOG [ENV=VALUE...]: builds verdant.node against NODEDIR's headers for ARCH (x64,
# arm64: a cross build with aarch64-linux-gnu-g++) in a scratch copy of native/ and binding.gyp, so the checkout's
# build/ is never touched, and copies it to OUT. ENV=VALUE pairs go to node-gyp (CXXFLAGS and LDFLAGS add to
# binding.gyp's flags). The build's output goes to LOG. Returns non-zero if it fails.
addon_build() {
  local nodedir="$1" arch="$2" out="$3" logfile="$4"
  shift 4
  local scratch rc
  mkdir -p "$(dirname "$logfile")" && scratch="$(mktemp -d "${TMPDIR:-/tmp}/verdant-addon.XXXXXX")" || return 1
  cp -r "$ROOT/native" "$ROOT/binding.gyp" "$scratch/" && ln -s "$ROOT/node_modules" "$scratch/node_modules" || return 1
  local prefix cross=()
  if ! prefix="$(toolchain_prefix "$arch")"; then
    echo "addon_build: no cross toolchain known for $arch" >"$logfile"; rm -rf "$scratch"; return 1
  fi
  [ -n "$prefix" ] && cross=(CC="${prefix}gcc" CXX="${prefix}g++" LINK="${prefix}g++" AR="${prefix}ar")
  # node-gyp lets npm_config_* variables override its command line: a caller's npm_config_nodedir would silently
  # build against the wrong headers. Pin everything to these.
  (
    cd "$scratch" &&
      env -u npm_config_target -u npm_config_runtime -u npm_config_disturl -u npm_config_arch \
        npm_config_nodedir="$nodedir" "${cross[@]}" "$@" \
        node_modules/.bin/node-gyp rebuild -j max --nodedir="$nodedir" --arch="$arch"
  ) >"$logfile" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] && [ -f "$scratch/build/Release/verdant.node" ]; then
    mkdir -p "$(dirname "$out")" && cp "$scratch/build/Release/verdant.node" "$out"
    rc=$?
  elif [ "$rc" -eq 0 ]; then
    rc=1
  fi
  rm -rf "$scratch"
  return "$rc"
}

# node_arch: this machine's architecture in Node's words (x64, arm64).
node_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) uname -m ;;
  esac
}

# toolchain_prefix ARCH: the prefix of the GNU tools that build for ARCH here: empty for this machine's own,
# aarch64-linux-gnu- for arm64 on x86-64 (Debian's g++-aarch64-linux-gnu). Fails for anything else.
toolchain_prefix() {
  if [ "$1" = "$(node_arch)" ]; then echo ""; return 0; fi
  case "$1" in
    arm64) echo aarch64-linux-gnu- ;;
    *) return 1 ;;
  esac
}

# The ELF identification of an architecture's executables, as binfmt_misc matches it (magic:mask), for the
# architectures that can be emulated here. The mask leaves out the ABI version byte and the lowest bit of e_type
# (executables and position-independent ones alike).
binfmt_pattern() {
  case "$1" in
    arm64) printf '%s' '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' ;;
    *) return 1 ;;
  esac
}

# emulation_ready ARCH NODE: makes programs of ARCH run here as if native, under qemu-user, and checks it by
# running NODE (that architecture's `node`) -v. A program that starts itself again (mocha with node flags, a test
# spawning process.execPath) needs this: a wrapper script around qemu covers only the first process. Registers
# Debian's qemu-user with binfmt_misc (mounting it first) when nothing handles ARCH yet; needs root for that. The
# guest's libraries come from Debian's cross root (/usr/<triplet>), given to qemu as QEMU_LD_PREFIX, which is
# exported. Prints why and fails when emulation cannot be had.
emulation_ready() {
  local arch="$1" node="$2" prefix qemu pattern
  prefix="$(toolchain_prefix "$arch")" && [ -n "$prefix" ] || { echo "no emulation is known for $arch" >&2; return 1; }
  export QEMU_LD_PREFIX="/usr/${prefix%-}"
  [ -d "$QEMU_LD_PREFIX" ] || { echo "$QEMU_LD_PREFIX missing (Debian's libc6-${arch}-cross)" >&2; return 1; }
  "$node" -v >/dev/null 2>&1 && return 0
  qemu="$(command -v "qemu-${prefix%%-*}")" || { echo "qemu-${prefix%%-*} missing (Debian's qemu-user)" >&2; return 1; }
  pattern="$(binfmt_pattern "$arch")" || { echo "no binfmt pattern for $arch" >&2; return 1; }
  local misc=/proc/sys/fs/binfmt_misc
  [ -e "$misc/register" ] || mount -t binfmt_misc binfmt_misc "$misc" 2>/dev/null ||
    { echo "cannot mount binfmt_misc (needs root)" >&2; return 1; }
  [ -e "$misc/verdant-$arch" ] || printf ':verdant-%s:M::%s:%s:' "$arch" "$pattern" "$qemu" >"$misc/register" 2>/dev/null ||
    { echo "cannot register $qemu with binfmt_misc (needs root)" >&2; return 1; }
  "$node" -v >/dev/null 2>&1 || { echo "$node does not start under $qemu" >&2; return 1; }
}
