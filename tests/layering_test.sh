#!/usr/bin/env bash
# Fails when a pipeline layer includes another layer's headers. Layers may include only the
# base libraries (core, crypto, http) and themselves; server and cli wire everything.
set -euo pipefail
src=${1:?usage: layering_test.sh SRC_DIR}
base="core crypto http"
status=0
for dir in "$src"/*/; do
  layer=$(basename "$dir")
  [ "$layer" = server ] || [ "$layer" = cli ] && continue
  case " $base " in
    *" $layer "*) allowed=" $layer core " ;;  # base libraries depend only on core
    *) allowed=" $layer $base " ;;
  esac
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include[[:space:]]*"([^/"]+)\/.*/\1/' <<<"$line")
    [ -d "$src/$inc" ] || continue
    case "$allowed" in
      *" $inc "*) ;;
      *) echo "layering violation: $file includes $inc/ (allowed: $allowed)"; status=1 ;;
    esac
  done < <(grep -HE '^[[:space:]]*#include[[:space:]]*"[^/"]+/' "$dir"*.hpp "$dir"*.cpp 2>/dev/null || true)
done
[ $status -eq 0 ] && echo "layering: ok"
exit $status
