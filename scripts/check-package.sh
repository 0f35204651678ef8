#!/usr/bin/env bash
# Checks what a packed verdant tarball holds: what users need (the compiled JS and its types, the CLI, the native
# sources and binding.gyp for a fallback build, the fibers shim, LICENSE, a prebuilt binary for every Node ABI of
# scripts/node-versions on each architecture given), and nothing they do not (TypeScript sources, tests,
# benchmarks, build trees).
#
#   scripts/check-package.sh TARBALL [ARCH...]      (ARCH: x64 arm64; default x64)
#
# Prints the tarball's size and one line per problem; appends `passed=1 failed=0` (or 0 1) to $VERDANT_COUNTS.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"
tarball="$1"
shift
arches=("$@")
[ ${#arches[@]} -eq 0 ] && arches=(x64)

files="$(tar -tzf "$tarball" | sed 's|^package/||')" || { echo "check-package: cannot read $tarball"; exit 2; }
problems=()
need() { grep -qxF "$1" <<<"$files" || problems+=("missing $1"); }
for f in package.json README.md LICENSE bin/verdant.js binding.gyp dist/lib/index.js dist/lib/index.d.ts \
         dist/lib/fibers/index.js compat/fibers/package.json native/addon.cc native/platform/fcontext.S \
         native/platform/fcontext/LICENSE_1_0.txt; do
  need "$f"
done
for arch in "${arches[@]}"; do
  while read -r v; do
    abi="$(node_abi "$(node_dist "$v" x64)")" || { problems+=("cannot read the ABI of node $v"); continue; }
    need "prebuilds/linux-$arch/node.abi$abi.glibc.node"
  done < <(node_versions)
done
unwanted="$(grep -E '^(lib|test|bench|examples|scripts|build|build-[^/]*|\.matrix|\.rootfs|node_modules)/|\.ts$|\.map$' <<<"$files" |
  grep -v '\.d\.ts$' | head -5)"
[ -n "$unwanted" ] && problems+=("holds what users do not need: $(tr '\n' ' ' <<<"$unwanted")...")

size="$(stat -c %s "$tarball")"
echo "check-package: $(basename "$tarball"): $((size / 1024)) KiB packed, $(wc -l <<<"$files") files"
if [ ${#problems[@]} -eq 0 ]; then
  echo "check-package: ok"
  result="passed=1 failed=0"
else
  printf 'check-package: %s\n' "${problems[@]}"
  result="passed=0 failed=1"
fi
[ -n "${VERDANT_COUNTS:-}" ] && echo "$result # package contents" >>"$VERDANT_COUNTS"
[ ${#problems[@]} -eq 0 ]
