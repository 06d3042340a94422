#!/usr/bin/env bash
# Installs the Debian packages a part of rill needs, by group:
#
#   scripts/install-deps.sh test    build, tests and verification (./run-tests, ./run-verify)
#   scripts/install-deps.sh bench   the benchmarks' peers and tools (bench/run): Go, Rust (rustc,
#                                   cargo, and the crossbeam-channel and flume crate sources), the
#                                   C++ queues, gnuplot, perf
#   scripts/install-deps.sh all     both (the default, for backward compatibility)
#
# Idempotent: packages already present are not touched, and apt is not called at all when nothing
# is missing. Run as root on Debian 12 (bookworm); elsewhere it only reports what is missing.
set -euo pipefail

test_packages=(
  # toolchain
  g++ cmake ninja-build make git
  clang-19 libclang-rt-19-dev llvm-19
  # the lint label: formatting (.clang-format) and static analysis (.clang-tidy)
  clang-format-19 clang-tidy-19
  # test and verification libraries
  libgtest-dev libgmock-dev librapidcheck-dev relacy-dev
  # the Asio adaptor (rill/asio.hpp), its tests and example: standalone Asio with C++20 coroutines
  libasio-dev
  # reporting (run-verify, the mutation bank, spec/coverage.py)
  python3
)
bench_packages=(
  # Google Benchmark for bench/cpp, then the peers bench/run compares rill with
  libbenchmark-dev
  golang-go libconcurrentqueue-dev libtbb-dev libboost-fiber-dev
  # Rust: rustc builds bench/rust/std_mpsc.rs; cargo builds the crossbeam-channel and flume
  # programs offline from Debian's crate sources in /usr/share/cargo/registry (the -dev packages
  # bring their dependencies). A rustup toolchain, where one is on PATH, is used instead of
  # Debian's rustc and cargo (bench/run: rust_toolchain), but these make a machine without it work.
  rustc cargo librust-crossbeam-channel-dev librust-flume-dev
  # the chart, peak memory and context-switch counts
  gnuplot-nox time linux-perf
)

packages=()
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(all)
for group in "${groups[@]}"; do
  case "$group" in
    test) packages+=("${test_packages[@]}") ;;
    bench) packages+=("${bench_packages[@]}") ;;
    all) packages+=("${test_packages[@]}" "${bench_packages[@]}") ;;
    *) echo "install-deps: unknown group '$group' (test, bench or all)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps (${groups[*]}): all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps (${groups[*]}): installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; install these packages and run again: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
