#!/usr/bin/env bash
# Every reason code in src/core/reason.cpp appears in docs/reason-codes.md.
set -euo pipefail
root=${1:?usage: reason_codes_test.sh ROOT}
missing=0
for code in $(grep -oE 'ReasonInfo\{"[a-z_]+"' "$root/src/core/reason.cpp" | sed -E 's/.*"([a-z_]+)"/\1/'); do
  [ "$code" = ok ] && continue
  if ! grep -q "\`$code\`" "$root/docs/reason-codes.md"; then
    echo "reason code not documented in docs/reason-codes.md: $code"
    missing=1
  fi
done
[ $missing -eq 0 ] && echo "reason codes: all documented"
exit $missing
