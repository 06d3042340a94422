#!/usr/bin/env bash
# Fails if a C++ file under the given directories is not laid out as .clang-format says, naming
# each such file and its first differing lines. Test fixtures (directories named fixture*) are
# skipped unless given directly. To fix: clang-format-19 -i FILE (the whole tree:
# git ls-files '*.hpp' '*.cpp' ':!:*fixture*' | xargs clang-format-19 -i).
# Usage: check_format.sh STYLE_FILE DIR...   Exit 77 (skipped) without clang-format-19.
set -euo pipefail
style=${1:?usage: check_format.sh STYLE_FILE DIR...}
shift
formatter=$(command -v clang-format-19 || true)
if [ -z "$formatter" ]; then
  echo "lint: clang-format-19 not found (scripts/install-deps.sh test installs it); skipped"
  exit 77
fi
status=0
checked=0
for dir in "$@"; do
  while IFS= read -r -d '' file; do
    checked=$((checked + 1))
    if ! "$formatter" --style="file:$style" --dry-run -Werror "$file" > /dev/null 2>&1; then
      echo "lint: not formatted as .clang-format says: $file"
      "$formatter" --style="file:$style" "$file" | diff "$file" - | head -8 | sed 's/^/  /' || true
      status=1
    fi
  done < <(find "$dir" \( -name 'fixture*' -a -not -path "$dir" \) -prune -o \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) -type f -print0)
done
if [ $status -eq 0 ]; then
  echo "lint: $checked C++ files checked, all formatted"
fi
exit $status
