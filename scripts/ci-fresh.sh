#!/usr/bin/env bash
# Runs .ci/run as CI does, as close to a fresh machine as this one can be without a new one: a clean clone of a
# commit (HEAD by default: commit first, nothing uncommitted goes along), an empty npm cache, an empty HOME (no
# ~/.npmrc, no node-gyp header cache), and none of this checkout's build/, dist/, node_modules/ or .matrix/.
# What it cannot take away is what the system already has: apt packages (scripts/setup-system.sh must install
# them all) and kernel settings.
#
#   scripts/ci-fresh.sh [COMMIT]      # the log goes to stdout and to $TMPDIR/verdant-ci-fresh.log
#
# Exit status: .ci/run's.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commit="$(git -C "$ROOT" rev-parse --verify "${1:-HEAD}^{commit}")" || exit 2
scratch="$(mktemp -d "${TMPDIR:-/tmp}/verdant-ci-fresh.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
log="${TMPDIR:-/tmp}/verdant-ci-fresh.log"

git clone -q --no-local "$ROOT" "$scratch/repo" && git -C "$scratch/repo" checkout -q --detach "$commit" || exit 2
mkdir -p "$scratch/home" "$scratch/npm-cache" "$scratch/tmp"
echo "ci-fresh: $commit in $scratch/repo, npm cache $scratch/npm-cache; log: $log"
# env -i: only what CI's environment has (a login PATH, CI=true), none of this shell's npm_config_* or VERDANT_*.
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$scratch/home" TMPDIR="$scratch/tmp" \
  LANG=C.UTF-8 CI=true npm_config_cache="$scratch/npm-cache" \
  bash "$scratch/repo/.ci/run" 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
