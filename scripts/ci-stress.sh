#!/usr/bin/env bash
# The stress runs CI can afford in its time budget (node-matrix.sh runs this once per Node line and backend):
# every flag set on the oldest and the newest line we support, the cheaper sets on the lines between and for the
# threads backend, all at half the scale a developer's `scripts/stress.sh` uses. Same contract as stress.sh
# (NODE, BACKENDS, VERDANT_COUNTS).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
major="$("${NODE:-node}" -p 'process.versions.node.split(".")[0]')"
if [ "${VERDANT_BACKEND:-}" = threads ] || [ "${VERDANT_BACKEND:-}" = v8-thread ]; then
  # Both make each greenlet a V8 thread handed the isolate through V8's Locker: what stresses them is the collector
  # moving and marking what other V8 threads' handles point at, not the JIT tiers.
  export FLAGSETS="${FLAGSETS:-plain compaction marking}"
fi
case "$major" in
  20 | 26) ;;  # all flag sets
  22) export FLAGSETS="${FLAGSETS:-plain compaction sparkplug}" ;;
  *) export FLAGSETS="${FLAGSETS:-plain compaction css pinning}" ;;
esac
export STRESS_SCALE="${STRESS_SCALE:-0.5}"
exec bash scripts/stress.sh "$@"
