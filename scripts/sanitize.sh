#!/usr/bin/env bash
# The addon under AddressSanitizer + UndefinedBehaviorSanitizer, inside a real node: builds a sanitized copy of
# the addon (in a scratch directory, so build/ is untouched), then runs, with the sanitizer runtimes preloaded,
# every mocha suite on the fcontext backend (its compact record), the suites that switch greenlets on the threads
# backend, the greenlet core on the fcontext backend's V8-thread rung, and a reduced GC stress file on all three.
# The fcontext backend reports its stack
# switches to ASan (native/greenlet/asan.h); leak detection is off because V8 and Node do not free everything at
# exit.
#
#   scripts/sanitize.sh            # system node
#   NODE=/path/to/node NODEDIR=/path/to/headers scripts/sanitize.sh
#
# Appends `passed=N failed=N` lines to $VERDANT_COUNTS when set. Exits non-zero on any failure or report.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
NODE="${NODE:-node}"
NODEDIR="${NODEDIR:-/usr}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/verdant-sanitize.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

asan="$(gcc -print-file-name=libasan.so)"
ubsan="$(gcc -print-file-name=libubsan.so)"
failed=0

record() {
  [ -n "${VERDANT_COUNTS:-}" ] && printf 'passed=%d failed=%d # sanitize %s\n' "$1" "$2" "$3" >>"$VERDANT_COUNTS"
  [ "$2" -eq 0 ] || failed=1
}

echo "== building the addon with -fsanitize=address,undefined ($("$NODE" -v))"
# shellcheck source=lib/addon.sh
. "$ROOT/scripts/lib/addon.sh"
ADDON="$WORK/verdant.node"
if ! addon_build "$NODEDIR" "$(node_arch)" "$ADDON" "$WORK/build.log" \
     CXXFLAGS="-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
     LDFLAGS="-fsanitize=address,undefined"; then
  tail -30 "$WORK/build.log"
  record 0 1 "build"
  exit 1
fi

# run LABEL BACKEND MOCHA_ARGS...
# Sanitized code runs several times slower (child processes of the tests too, which inherit the preload): the
# tests' waits for real work get three times their time (test/support/patience.ts); what they assert is the same.
run() {
  local label="$1" backend="$2" counts="$WORK/counts" log="$WORK/run.log" p f
  shift 2
  : >"$counts"
  echo "== $label (${backend:-fcontext})"
  env LD_PRELOAD="$asan:$ubsan" ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    VERDANT_ADDON="$ADDON" VERDANT_MOCHA_COUNTS="$counts" \
    VERDANT_TEST_TIME_SCALE="${VERDANT_TEST_TIME_SCALE:-3}" \
    ${backend:+VERDANT_BACKEND=$backend} \
    "$NODE" --expose-gc node_modules/mocha/bin/mocha.js --no-config --timeout 300000 \
    --reporter "$ROOT/scripts/mocha-counts-reporter.js" "$@" 2>&1 | tee "$log" | grep -E "^ +[0-9]+ (passing|failing|pending)"
  # The failures as mocha reports them (title, assertion, stack), from its "N failing" summary on.
  sed -n '/^ *[0-9]* failing/,$p' "$log" | head -80
  if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log"; then
    grep -E -A20 "ERROR: AddressSanitizer|runtime error:" "$log" | head -40
    record 0 1 "$label $backend: sanitizer report"
    return
  fi
  if ! read -r p f _ < <(sed -E 's/passed=([0-9]+) failed=([0-9]+).*/\1 \2 x/' "$counts"); then
    echo "no results (crash?)"
    record 0 1 "$label $backend: no results"
    return
  fi
  record "$p" "$f" "$label ${backend:-fcontext}"
}

# fcontext, the default backend: every suite. The threads backend differs only in how greenlets switch, so it
# runs the suites that switch in every way there is (greenlets, green threads and the hub, their sync and pool
# primitives, fibers, the watchdog's stack capture, sockets); the rest switch the same way through these.
mapfile -t SUITES < <(find dist/test -name '*.test.js' -not -path 'dist/test/stress/*' | sort)
mapfile -t SWITCHING < <(find dist/test/runtime dist/test/sync dist/test/pool dist/test/fibers dist/test/debug dist/test/net \
                           -name '*.test.js' | sort)
run core "" "${SUITES[@]}"
run switching threads "${SWITCHING[@]}"
# The fcontext backend's fallback rung (a V8 thread per greenlet): the greenlet core and its GC stress.
run runtime v8-thread dist/test/runtime/*.test.js
for backend in "" threads v8-thread; do
  [ -f dist/test/stress/gc.test.js ] && STRESS_SCALE=0.2 run "gc stress" "$backend" dist/test/stress/gc.test.js
done
exit "$failed"
