#!/usr/bin/env bash
# The Debian/Ubuntu packages a checkout of verdant needs to build from source and run every test, installed with
# apt-get (through sudo when not root). Users of the npm package need none of them: its prebuilt binaries load
# without a compiler.
#
#   scripts/setup-system.sh          # what `npm install` and `npm test` in this repository need
#   scripts/setup-system.sh --ci     # and what .ci/run adds: clang's libFuzzer, debootstrap (a Debian root with no
#                                    # compiler for the install test), the arm64 cross compiler and qemu-user (the
#                                    # arm64 binaries and their test), libkqueue where Debian has it
#
# What each package is for:
#   g++ make python3      node-gyp, building the addon from native/
#   cmake                 the native unit tests and benchmarks (CMakeLists.txt)
#   openssl               the TLS tests make their certificates with it
#   curl                  a real HTTP client in the server tests
#   postgresql            the db pool tests start a private server of their own on loopback (initdb, pg_ctl)
#   chromium              a real browser client in the WebSocket tests (headless)
#   nginx                 a real load balancer in front of two `verdant serve` instances (test/launcher/nginx);
#                         the test runs its own nginx on its own port, and needs no nginx service running
# Exits non-zero, naming the step, if a required package cannot be installed.
set -euo pipefail

ci=0
case "${1:-}" in
  --ci) ci=1 ;;
  "") ;;
  *) echo "setup-system: unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
esac

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-system: run as root, or install sudo" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
apt_install() { "${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }

echo "setup-system: apt-get update"
"${as_root[@]}" apt-get update -qq
echo "setup-system: build tools and test dependencies"
apt_install g++ make python3 cmake ca-certificates openssl curl postgresql nginx
echo "setup-system: chromium (headless browser for the WebSocket tests)"
apt_install chromium

if [ "$ci" = 1 ]; then
  # Apart, and not fatal: a missing optional package fails only what needs it, which says so.
  echo "setup-system: clang with libFuzzer (the HTTP parser fuzzers)"
  apt_install clang libclang-rt-dev || apt_install clang || echo "setup-system: clang not installable: the fuzz phase will fail"
  echo "setup-system: debootstrap (the install test's Debian root with no compiler)"
  apt_install debootstrap || echo "setup-system: debootstrap not installable: the install test will fail"
  echo "setup-system: g++-aarch64-linux-gnu and qemu-user (arm64 prebuilt binaries, tested under emulation)"
  apt_install g++-aarch64-linux-gnu qemu-user || echo "setup-system: arm64 tools not installable: the arm64 phase will fail"
  # Debian 12 has no libkqueue-dev; where it exists the native tests also run the kqueue poller.
  apt_install libkqueue-dev 2>/dev/null || echo "setup-system: libkqueue-dev not installable: the native tests cover epoll only"
fi
echo "setup-system: done"
