#!/usr/bin/env bash
# Builds the prebuilt binaries that go into the npm package, in prebuildify's layout, which node-gyp-build loads:
#
#   prebuilds/linux-x64/node.abi115.glibc.node     (Node 20)   ... abi127 (22), abi137 (24), abi147 (26)
#   prebuilds/linux-arm64/node.abi115.glibc.node   ...
#
# verdant uses V8's C++ API, so it needs one binary per Node ABI (NODE_MODULE_VERSION), built against that line's
# headers from scripts/node-versions. Each binary is checked by scripts/check-prebuild.sh (glibc 2.28 floor, no
# library beyond libc's family) before it is kept.
#
#   scripts/prebuild.sh [--arch "x64 arm64"] [--versions "20.20.2 ..."] [--out DIR]
#
# --arch      architectures (default: this machine's; arm64 on x86-64 is a cross build with Debian's
#             g++-aarch64-linux-gnu)
# --versions  Node releases (default: scripts/node-versions)
# --out       where prebuilds/ goes (default: the repository root)
# Exit status: 0 when every binary was built and passed its check, 1 otherwise (the others are still built). Each
# binary counts as a test: `passed=N failed=N` closes the output and is appended to $VERDANT_COUNTS when set.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"

ARCHES="$(node_arch)"
VERSIONS="$(node_versions | tr '\n' ' ')"
OUT="$ROOT"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCHES="$2"; shift 2 ;;
    --versions) VERSIONS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "prebuild: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x node_modules/.bin/node-gyp ] || { echo "prebuild: run npm ci first (node-gyp)" >&2; exit 2; }

passed=0 failed=0
logs="$(mktemp -d "${TMPDIR:-/tmp}/verdant-prebuild.XXXXXX")"
for arch in $ARCHES; do
  for v in $VERSIONS; do
    start=$SECONDS
    if ! nodedir="$(node_dist "$v" "$arch")"; then
      echo "prebuild: linux-$arch node $v: cannot fetch its headers"; failed=$((failed + 1)); continue
    fi
    abi="$(node_abi "$nodedir")"
    out="$OUT/prebuilds/linux-$arch/node.abi$abi.glibc.node"
    if ! addon_build "$nodedir" "$arch" "$out.tmp" "$logs/$arch-$v.log"; then
      echo "prebuild: linux-$arch node $v (abi $abi): BUILD FAILED; last lines of $logs/$arch-$v.log:"
      grep -E 'error' "$logs/$arch-$v.log" | head -10
      tail -5 "$logs/$arch-$v.log"
      failed=$((failed + 1)); continue
    fi
    # Line numbers and local symbols are for debugging a build, not for shipping.
    strip_tool="$(toolchain_prefix "$arch")strip"
    "$strip_tool" --strip-unneeded "$out.tmp" || { echo "prebuild: $strip_tool failed on $out"; failed=$((failed + 1)); continue; }
    if ! bash "$ROOT/scripts/check-prebuild.sh" "$out.tmp"; then
      echo "prebuild: linux-$arch node $v (abi $abi): check failed"; rm -f "$out.tmp"; failed=$((failed + 1)); continue
    fi
    mv "$out.tmp" "$out"
    passed=$((passed + 1))
    echo "prebuild: linux-$arch node $v (abi $abi) -> ${out#"$ROOT"/} ($(stat -c %s "$out") bytes, $((SECONDS - start)) s)"
  done
done
[ "$failed" = 0 ] && rm -rf "$logs"
echo "passed=$passed failed=$failed # prebuilds"
[ -n "${VERDANT_COUNTS:-}" ] && echo "passed=$passed failed=$failed # prebuilds" >>"$VERDANT_COUNTS"
[ "$failed" = 0 ]
