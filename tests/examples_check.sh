#!/usr/bin/env bash
# Every example config passes `gatewaystack check`: tests/examples_check.sh BINARY [REPO_ROOT]
set -uo pipefail
bin="$1"
root="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export OPENAI_API_KEY="${OPENAI_API_KEY:-sk-example-not-a-real-key}"
shopt -s nullglob
files=("$root"/examples/configs/*.yaml "$root"/examples/demo/*.yaml)
if (( ${#files[@]} == 0 )); then echo "no example configs found under $root/examples" >&2; exit 1; fi
failed=0
for f in "${files[@]}"; do
  if out="$("$bin" check --config "$f" 2>&1)"; then
    echo "ok      ${f#"$root"/}"
  else
    echo "FAILED  ${f#"$root"/}"; echo "$out" | sed 's/^/        /'
    failed=$((failed + 1))
  fi
done
echo "$(( ${#files[@]} - failed )) passed, $failed failed"
(( failed == 0 ))
