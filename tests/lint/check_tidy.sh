#!/usr/bin/env bash
# Runs clang-tidy-19 with the project's .clang-tidy over one translation unit and fails on any
# finding (the configuration makes every warning an error), printing them. lint_tidy gives it
# tests/lint/tidy_instantiations.cpp, which instantiates the public API, so the findings are the
# shipped headers'. Usage: check_tidy.sh CONFIG SOURCE INCLUDE_DIR
# Exit 77 (skipped) without clang-tidy-19.
set -euo pipefail
config=${1:?usage: check_tidy.sh CONFIG SOURCE INCLUDE_DIR}
source=${2:?usage: check_tidy.sh CONFIG SOURCE INCLUDE_DIR}
include=${3:?usage: check_tidy.sh CONFIG SOURCE INCLUDE_DIR}
tidy=$(command -v clang-tidy-19 || true)
if [ -z "$tidy" ]; then
  echo "lint: clang-tidy-19 not found (scripts/install-deps.sh test installs it); skipped"
  exit 77
fi
if output=$("$tidy" --quiet --config-file="$config" "$source" -- -std=c++23 -I"$include" 2>&1); then
  echo "lint: clang-tidy found nothing in $(basename "$source") and the headers it includes"
else
  echo "lint: clang-tidy findings:"
  echo "$output" | grep -E '(warning|error):' | sed 's/^/  /'
  exit 1
fi
