#!/usr/bin/env bash
# Installs every Debian package rill's build, tests, verification and benchmarks need.
# Idempotent: packages already present are not touched, and apt is not called at all when
# nothing is missing. Run as root on Debian 12 (bookworm); elsewhere it only reports.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build make git
  clang-19 libclang-rt-19-dev llvm-19
  # test and verification libraries
  libgtest-dev libgmock-dev librapidcheck-dev relacy-dev
  # benchmarks (bench/run): Go and C++ peers, the chart, context-switch counts
  libbenchmark-dev
  golang-go libconcurrentqueue-dev libtbb-dev libboost-fiber-dev
  gnuplot-nox time linux-perf
  # reporting
  python3
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; install these packages and run again: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
