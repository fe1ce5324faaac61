#!/usr/bin/env bash
# End-to-end tests: tests/e2e/run.sh BINARY [node --test options] [FILE.test.mjs...]
# Runs every tests/e2e/*.test.mjs with node's test runner against the given gatewaystack binary.
# The tests start their own IdP, upstreams, Redis and PostgreSQL on free loopback ports.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH/TO/gatewaystack [node --test options]" >&2
  exit 2
fi
bin="$(realpath "$1")"; shift
if [[ ! -x "$bin" ]]; then
  echo "e2e: $bin is not an executable gatewaystack binary" >&2
  exit 1
fi
if ! command -v node >/dev/null; then
  echo "e2e: node is not installed (run scripts/setup)" >&2
  exit 1
fi
for dep in oauth2-mock-server jose openai @modelcontextprotocol/sdk; do
  if [[ ! -d "$here/node_modules/$dep" ]]; then
    echo "e2e: $here/node_modules/$dep is missing: run 'npm ci' in tests/e2e (scripts/setup does it)" >&2
    exit 1
  fi
done
cd "$here"
export GATEWAYSTACK_BIN="$bin"
shopt -s nullglob
# Test files named among the arguments run alone; otherwise every *.test.mjs.
files=() opts=()
for a in "$@"; do
  if [[ $a == *.test.mjs ]]; then files+=("$a"); else opts+=("$a"); fi
done
(( ${#files[@]} )) || files=(./*.test.mjs)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "e2e: no tests found in $here" >&2
  exit 1
fi
exec node --test --test-concurrency="${E2E_CONCURRENCY:-2}" --test-timeout="${E2E_TEST_TIMEOUT_MS:-180000}" ${opts[@]+"${opts[@]}"} "${files[@]}"
