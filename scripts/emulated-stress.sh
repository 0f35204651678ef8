#!/usr/bin/env bash
# The stress suites on another architecture's official Node under qemu-user, against this checkout's prebuilt
# binary for it (scripts/prebuild.sh --arch ARCH) and its compiled tests (dist/test/stress): the fast backend on
# every V8 flag set that line has, the threads backend on the sets that stress it (as scripts/ci-stress.sh picks).
#
#   scripts/emulated-stress.sh [--arch arm64] [--node 24.21.0] [--scale 0.05] [file...]
#
# file: stress suites by name (default: gc recursion hub). Emulation is some 10-50 times slower than this machine,
# so the work per run is STRESS_SCALE (--scale) times what a developer's stress.sh does, chosen so that every run
# still collects: the gc suite forces a minor GC every 53 switches and a major one every 997 whatever the scale,
# and each flag set adds its own collections. Time limits in the tests grow by VERDANT_TEST_TIME_SCALE (10).
# Prints stress.sh's summaries; $VERDANT_COUNTS, when set, gets one labelled `passed=N failed=N` line per backend,
# the sum of its runs. Exit status: 0 if nothing failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"

ARCH=arm64 VERSION=24.21.0 SCALE=0.05 FILES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH="$2"; shift 2 ;;
    --node) VERSION="$2"; shift 2 ;;
    --scale) SCALE="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "emulated-stress: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) FILES+=("$1"); shift ;;
  esac
done
[ ${#FILES[@]} -gt 0 ] || FILES=(gc recursion hub)

nodedir="$(node_dist "$VERSION" "$ARCH")" || exit 1
emulation_ready "$ARCH" "$nodedir/bin/node" || exit 1
addon="$ROOT/prebuilds/linux-$ARCH/node.abi$(node_abi "$nodedir").glibc.node"
[ -f "$addon" ] || { echo "emulated-stress: no prebuilt $addon (scripts/prebuild.sh --arch $ARCH)" >&2; exit 1; }

export NODE="$nodedir/bin/node" VERDANT_ADDON="$addon" VERDANT_TEST_TIME_SCALE=10 STRESS_SCALE="$SCALE"
export STRESS_TIMEOUT="${STRESS_TIMEOUT:-900}"
CALLER_COUNTS="${VERDANT_COUNTS:-}"

# stress_backend BACKEND FLAGSETS: stress.sh over FILES on one backend (FLAGSETS empty: every set this V8 has);
# its runs are summed into one labelled line for the caller's VERDANT_COUNTS, a run without results as a failure.
stress_backend() {
  local backend="$1" flagsets="$2" runs rc p f
  runs="$(mktemp)"
  VERDANT_COUNTS="$runs" BACKENDS="$backend" FLAGSETS="$flagsets" bash scripts/stress.sh "${FILES[@]}"
  rc=$?
  read -r p f < <(awk -F'[= ]' '/^passed=/ { p += $2; f += $4; n++ } END { if (n) print p, f; else print 0, 1 }' "$runs")
  rm -f "$runs"
  if [ -n "$CALLER_COUNTS" ]; then
    printf 'passed=%d failed=%d # stress on node %s linux-%s, %s backend, emulated\n' "$p" "$f" "$VERSION" "$ARCH" \
      "$backend" >>"$CALLER_COUNTS"
  fi
  return "$rc"
}

rc=0
stress_backend fcontext "" || rc=1
stress_backend threads "plain compaction marking" || rc=1
exit "$rc"
