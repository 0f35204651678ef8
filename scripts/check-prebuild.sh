#!/usr/bin/env bash
# Checks that built addons load on every Linux they are meant for: they need nothing newer than glibc 2.28 (Node
# 20's own floor), no C++ runtime or libgcc_s of the system's (GLIBCXX_, CXXABI_, GCC_ versions), and no library
# beyond libc's family. Reads the ELF files with readelf only, so it checks binaries of any architecture.
#
#   scripts/check-prebuild.sh FILE.node...
#
# Prints one line per file (its architecture, highest glibc version, needed libraries) and the reason for any
# failure. Exit status: 0 if all pass, 1 otherwise.
set -uo pipefail
GLIBC_FLOOR=2.28
ALLOWED_LIBS=" libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 "

# above_floor VERSION: whether a glibc version is newer than the floor.
above_floor() {
  [ "$1" != "$GLIBC_FLOOR" ] && [ "$(printf '%s\n%s\n' "$1" "$GLIBC_FLOOR" | sort -V | tail -1)" = "$1" ]
}

status=0
for file in "$@"; do
  problems=()
  if ! header="$(readelf -h "$file" 2>&1)"; then
    echo "$file: not an ELF file: $header"; status=1; continue
  fi
  machine="$(sed -nE 's/^ *Machine: *//p' <<<"$header")"
  needed="$(readelf -d "$file" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | tr '\n' ' ')"
  for lib in $needed; do
    [[ "$ALLOWED_LIBS" == *" $lib "* ]] || problems+=("needs $lib")
  done
  # The version names the file needs (readelf -V, its .gnu.version_r section), e.g. GLIBC_2.14, GLIBCXX_3.4.29.
  versions="$(readelf -V "$file" | sed -nE 's/.*Name: ([A-Z_]+[0-9.]*) .*Flags.*/\1/p' | sort -u)"
  highest="$(grep '^GLIBC_' <<<"$versions" | sed 's/^GLIBC_//' | sort -V | tail -1)"
  if [ -n "$highest" ] && above_floor "$highest"; then
    symbols="$(readelf --dyn-syms -W "$file" | grep -oE '[A-Za-z_0-9]+@GLIBC_[0-9.]+' | sort -u |
      while read -r s; do if above_floor "${s##*@GLIBC_}"; then echo "$s"; fi; done | tr '\n' ' ')"
    problems+=("needs glibc $highest (above $GLIBC_FLOOR) for: ${symbols% }")
  fi
  cxx="$(grep -E '^(GLIBCXX|CXXABI|GCC)_' <<<"$versions" | tr '\n' ' ')"
  [ -n "$cxx" ] && problems+=("needs the system's C++ runtime: ${cxx% }")
  if [ ${#problems[@]} -eq 0 ]; then
    echo "$file: ok: $machine, glibc ${highest:-none} or later, needs ${needed% }"
  else
    echo "$file: FAILED ($machine):"
    printf '  %s\n' "${problems[@]}"
    status=1
  fi
done
exit "$status"
