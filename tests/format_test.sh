#!/usr/bin/env bash
# Every C++ file is formatted by .clang-format (clang-format 14).
set -euo pipefail
root=${1:?usage: format_test.sh ROOT}
cd "$root"
command -v clang-format >/dev/null || { echo "format: clang-format missing (scripts/setup)"; exit 1; }
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src tests bench fuzz -name '*.[ch]pp' 2>/dev/null)
[ $bad -eq 0 ] && echo "format: ok"
exit $bad
