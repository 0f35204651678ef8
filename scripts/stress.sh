#!/usr/bin/env bash
# Runs the stress suites (dist/test/stress/*.test.js) once per backend and per V8 GC/JIT stress flag set, each
# file in a mocha process of its own.
#
#   scripts/stress.sh [file...]        files by name (gc recursion eventloop process cycles vm hub; default: all)
#
# Environment:
#   NODE=node                 node binary to run (its V8 decides which flags exist)
#   BACKENDS="fcontext threads"
#                             backends to run; "fcontext" (or "default") leaves VERDANT_BACKEND unset, anything
#                             else is exported as VERDANT_BACKEND. When BACKENDS is unset but VERDANT_BACKEND is set
#                             (node-matrix.sh does that for its threads runs), only that backend runs.
#   FLAGSETS="plain compaction marking deopt sparkplug css pinning"
#                             flag sets to run (default: all that apply to this node; css/pinning need Node >= 24)
#   STRESS_SCALE=1            multiplies the per-run work scale of the heavy suites (see scale_for below)
#   STRESS_TIMEOUT=600        seconds per mocha run; a run that times out counts as failed
#   VERDANT_COUNTS=file       if set, one `passed=N failed=N` line per run is appended to it
#   VERDANT_ADDON             passed through (lib/runtime/addon.ts loads the addon from there)
#   STRESS_LOG_DIR            where each run's full output is kept (default: a new directory under /tmp)
#
# Each run is `$NODE <flags> --expose-gc node_modules/mocha/bin/mocha.js --no-config --timeout 300000 <file>`.
# Prints `file flags backend: N passing, N failing (Ns)` per run and a summary. A run killed by a signal or that
# did not reach mocha's summary counts as failed (the signal is named). Exit status: 0 if nothing failed, 1
# otherwise, 2 on usage errors.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

NODE="${NODE:-node}"
MOCHA="node_modules/mocha/bin/mocha.js"
STRESS_TIMEOUT="${STRESS_TIMEOUT:-600}"
USER_SCALE="${STRESS_SCALE:-1}"
LOG_DIR="${STRESS_LOG_DIR:-$(mktemp -d /tmp/verdant-stress.XXXXXX)}"
mkdir -p "$LOG_DIR"

if [ -z "${BACKENDS:-}" ]; then
  if [ -n "${VERDANT_BACKEND:-}" ]; then BACKENDS="$VERDANT_BACKEND"; else BACKENDS="fcontext threads"; fi
fi

FILES=("$@")
[ ${#FILES[@]} -eq 0 ] && FILES=(gc recursion eventloop process cycles vm hub)

[ -f "$MOCHA" ] || { echo "stress: $MOCHA missing; run npm ci" >&2; exit 2; }
if [ ! -d dist/test/stress ]; then
  echo "stress: dist/test/stress missing; compiling TypeScript"
  node_modules/.bin/tsc -p tsconfig.json || { echo "stress: tsc failed" >&2; exit 2; }
fi
for f in "${FILES[@]}"; do
  [ -f "dist/test/stress/$f.test.js" ] || { echo "stress: no dist/test/stress/$f.test.js" >&2; exit 2; }
done

NODE_VERSION="$("$NODE" -p process.versions.node)" || { echo "stress: cannot run $NODE" >&2; exit 2; }
NODE_MAJOR="${NODE_VERSION%%.*}"
V8_OPTIONS="$("$NODE" --v8-options)"

# flag_known FLAG: whether this node's V8 has the flag (given as --name or --name=value).
flag_known() {
  local name="${1#--}"
  name="${name%%=*}"
  local alt="${name//-/_}"
  grep -qE -- "^[[:space:]]+--(${name}|${alt})([[:space:]]|$)" <<<"$V8_OPTIONS"
}

# The flag sets of shared/design/greenlet-mechanism.md ("Must-have tests"). --expose-gc is added to every run.
declare -A FLAGSET=(
  [plain]=""
  [compaction]="--stress-compaction --max-semi-space-size=1"
  [marking]="--stress-scavenge=20 --stress-incremental-marking --stress-marking=20"
  [deopt]="--deopt-every-n-times=97 --stress-flush-code"
  [sparkplug]="--always-sparkplug"
  [css]="--conservative-stack-scanning"
  [pinning]="--scavenger-conservative-object-pinning --stress-scavenger-conservative-object-pinning"
)
if [ -z "${FLAGSETS:-}" ]; then
  FLAGSETS="plain compaction marking deopt sparkplug"
  [ "$NODE_MAJOR" -ge 24 ] && FLAGSETS="$FLAGSETS css pinning"
fi

# resolve_flags SET: the set's flags that this V8 knows; notes the others on stderr.
resolve_flags() {
  local kept=() flag
  for flag in ${FLAGSET[$1]}; do
    if flag_known "$flag"; then kept+=("$flag"); else echo "stress: note: node $NODE_VERSION has no V8 flag $flag; dropped from set '$1'" >&2; fi
  done
  echo "${kept[*]:-}"
}

# scale_for FILE SET BACKEND: STRESS_SCALE for one run, so that the whole script stays within ~12 minutes per
# Node version on 2 slow cores. Threads-backend switches are OS-thread hand-offs (and each greenlet an OS thread),
# and the GC-heavy sets slow every allocation down, so the heavy suites do less there.
scale_for() {
  local file="$1" set="$2" backend="$3" s=1
  case "$file/$backend/$set" in
    # Measured on Node 20, 2 cores: gc at scale 1 is 1e5 round trips; --stress-marking and --deopt-every-n-times
    # make each round trip 30-80 times slower, the threads backend another 5-10 times.
    gc/fcontext/plain) s=1 ;;
    gc/fcontext/compaction) s=0.08 ;;
    gc/fcontext/marking) s=0.03 ;;
    gc/fcontext/deopt) s=0.1 ;;
    gc/fcontext/*) s=0.6 ;;
    gc/*/plain | gc/*/sparkplug | gc/*/css | gc/*/pinning) s=0.25 ;;
    gc/*/compaction) s=0.025 ;;
    gc/*/marking) s=0.012 ;;
    gc/*) s=0.04 ;;
    hub/fcontext/plain) s=3 ;;
    hub/fcontext/*) s=1 ;;
    hub/*/plain) s=0.5 ;;
    hub/*) s=0.2 ;;
    cycles/fcontext/plain) s=1 ;;
    cycles/fcontext/compaction | cycles/fcontext/marking | cycles/fcontext/deopt) s=0.15 ;;
    cycles/fcontext/*) s=0.5 ;;
    cycles/*/plain) s=0.5 ;;
    cycles/*) s=0.1 ;;
    *) s=1 ;;
  esac
  awk -v a="$s" -v b="$USER_SCALE" 'BEGIN { printf "%g", a * b }'
}

TOTAL_PASSED=0
TOTAL_FAILED=0
FAILED_RUNS=()
SUMMARY=()

# run_one FILE SET BACKEND
run_one() {
  local file="$1" set="$2" backend="$3" flags scale log start rc passing failing took label signal=""
  flags="$(resolve_flags "$set")"
  scale="$(scale_for "$file" "$set" "$backend")"
  log="$LOG_DIR/$file.$set.$backend.log"
  label="$file ${flags:-(no flags)} $backend"
  start=$(date +%s)
  (
    if [ "$backend" = fcontext ] || [ "$backend" = default ]; then unset VERDANT_BACKEND; else export VERDANT_BACKEND="$backend"; fi
    export STRESS_SCALE="$scale"
    # shellcheck disable=SC2086  # flags are words
    exec timeout -k 10 "$STRESS_TIMEOUT" "$NODE" $flags --expose-gc "$MOCHA" --no-config --timeout 300000 \
      "dist/test/stress/$file.test.js"
  ) >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  passing="$(grep -oE '^[[:space:]]+[0-9]+ passing' "$log" | grep -oE '[0-9]+' | tail -1)"
  failing="$(grep -oE '^[[:space:]]+[0-9]+ failing' "$log" | grep -oE '[0-9]+' | tail -1)"
  if [ -z "$passing" ]; then
    # Mocha never printed its summary: the process died. Count what had passed so far.
    passing="$(grep -cE '^[[:space:]]+(✔|✓)' "$log")"
  fi
  failing="${failing:-0}"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && [ "$took" -ge "$STRESS_TIMEOUT" ]; then
    signal="timed out after ${STRESS_TIMEOUT}s"
  elif [ "$rc" -gt 128 ]; then
    signal="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
  fi
  if [ "$rc" -ne 0 ] && [ "$failing" -eq 0 ]; then failing=1; fi
  if ! grep -qE '^[[:space:]]+[0-9]+ passing' "$log" && [ "$rc" -eq 0 ]; then failing=1; signal="no mocha summary"; fi
  echo "$label: $passing passing, $failing failing (${took}s, scale $scale${signal:+, $signal})"
  SUMMARY+=("$(printf '%-10s %-10s %-9s %5ss  %s passing, %s failing%s' "$file" "$set" "$backend" "$took" "$passing" "$failing" "${signal:+ ($signal)}")")
  TOTAL_PASSED=$((TOTAL_PASSED + passing))
  TOTAL_FAILED=$((TOTAL_FAILED + failing))
  [ -n "${VERDANT_COUNTS:-}" ] && echo "passed=$passing failed=$failing" >>"$VERDANT_COUNTS"
  if [ "$failing" -ne 0 ]; then
    FAILED_RUNS+=("$label")
    echo "---- $log (failures) ----"
    # The failure list of mocha's summary, or the end of the output when the process died.
    if grep -qE '^[[:space:]]+[0-9]+ failing' "$log"; then
      sed -n '/^[[:space:]]*[0-9]* failing/,$p' "$log" | grep -vE '^[[:space:]]+at ' | head -60
    else
      tail -40 "$log"
    fi
    echo "----"
  fi
}

echo "stress: node $NODE_VERSION ($NODE), backends: $BACKENDS, flag sets: $FLAGSETS, logs in $LOG_DIR"
SCRIPT_START=$(date +%s)
for backend in $BACKENDS; do
  for set in $FLAGSETS; do
    [ -n "${FLAGSET[$set]+x}" ] || { echo "stress: unknown flag set '$set'" >&2; exit 2; }
    for file in "${FILES[@]}"; do
      run_one "$file" "$set" "$backend"
    done
  done
done
ELAPSED=$(( $(date +%s) - SCRIPT_START ))

echo
echo "stress summary (node $NODE_VERSION, ${ELAPSED}s):"
printf '  %s\n' "${SUMMARY[@]}"
echo "stress: $TOTAL_PASSED passing, $TOTAL_FAILED failing in ${#SUMMARY[@]} runs"
if [ ${#FAILED_RUNS[@]} -gt 0 ]; then
  printf 'stress: FAILED: %s\n' "${FAILED_RUNS[@]}"
  exit 1
fi
exit 0
