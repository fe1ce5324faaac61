#!/usr/bin/env bash
# Instructions per proxied request, counted by callgrind, for one or more gatewaystack binaries
# in the same run (e.g. before and after a change). Instruction counts do not depend on how
# busy the machine is, so this is the figure to compare when the machine is noisy.
#   calendar  GET /calendar/events: token verified (cache warm), identity injected, forwarded
#   openai    POST /v1/chat/completions: the same plus body sniffing, `user` injection and
#             reading the answer's usage
# One worker, audit and access log off; nginx serves the upstream's answers and the JWKS.
# The kernel's TCP work is not counted (callgrind sees user space only).
#
#   bench/load/callgrind.sh [--binary PATH]... [--duration 5s] [--connections 4]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

bins=() duration=5s connections=4
while (( $# )); do
  case "$1" in
    --binary) bins+=("$(realpath "$2")"); shift ;;
    --duration) duration="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "callgrind.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
(( ${#bins[@]} )) || bins=("$root/build/release/gatewaystack")
for tool in wrk nginx node curl valgrind callgrind_annotate callgrind_control; do
  command -v "$tool" >/dev/null || { echo "callgrind.sh: $tool missing (apt-get install valgrind; scripts/setup)" >&2; exit 1; }
done

dir="$(mktemp -d /tmp/gw-callgrind.XXXXXX)"
chmod 755 "$dir"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
up_port=$(free_port)
gw_port=$(free_port)
while [[ $gw_port == "$up_port" ]]; do gw_port=$(free_port); done

token="$(node "$root/bench/load/mint.mjs" "http://127.0.0.1:$up_port" "$dir/jwks.json")"
chmod 644 "$dir/jwks.json"
mkdir -p "$dir/upstream/tmp"
cat >"$dir/upstream/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/upstream/nginx.pid;
error_log $dir/upstream/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/upstream/tmp/body;
  proxy_temp_path $dir/upstream/tmp/proxy;
  fastcgi_temp_path $dir/upstream/tmp/fastcgi;
  uwsgi_temp_path $dir/upstream/tmp/uwsgi;
  scgi_temp_path $dir/upstream/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$up_port;
    location = /jwks.json { default_type application/json; alias $dir/jwks.json; }
    location /v1/ { default_type application/json; return 200 '{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Dentist at 10."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}'; }
    location / { default_type application/json; return 200 '{"user":"bench_user","events":[{"id":1,"title":"Dentist"}]}'; }
  }
}
CONF
nginx -p "$dir/upstream" -c "$dir/upstream/nginx.conf" -e "$dir/upstream/error.log" & pids+=($!)

cat >"$dir/gw.yaml" <<CONF
audit: {enabled: false}
server:
  listen: 127.0.0.1:$gw_port
  workers: 1
identity:
  issuers:
    - issuer: http://127.0.0.1:$up_port
      jwks_uri: http://127.0.0.1:$up_port/jwks.json
      audiences: [api://gateway]
      algorithms: [RS256]
upstreams:
  backend: {url: "http://127.0.0.1:$up_port", pool: {max_idle: 64}}
routes:
  - {name: calendar, prefix: /calendar, upstream: backend}
  - {name: openai, prefix: /v1, upstream: backend, kind: openai}
policy:
  routes: {calendar: {}, openai: {}}
  models: {"*": {}}
logging: {level: warn, access_log: false}
CONF
body='{"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":"When is my next appointment?"}]}'
cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

# Instructions per request of one binary on one route.
measure() {  # binary, route
  local bin="$1" route="$2" out="$dir/cg.out" path args=()
  rm -f "$out"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$bin" serve --config "$dir/gw.yaml" >"$dir/gw.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  if [[ $route == openai ]]; then path=/v1/chat/completions; args=(-s "$dir/post.lua"); else path=/calendar/events; fi
  local ok=0
  for _ in $(seq 1 300); do
    if [[ $route == openai ]]; then
      code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$gw_port$path" || true)"
    else
      code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$gw_port$path" || true)"
    fi
    [[ $code == 200 ]] && { ok=1; break; }
    sleep 0.2
  done
  (( ok )) || { echo "callgrind.sh: gateway not answering 200 on $path:" >&2; tail -5 "$dir/gw.log" >&2; exit 1; }
  callgrind_control -i on "$pid" >/dev/null 2>&1
  local requests
  requests="$(wrk -t1 -c"$connections" -d"$duration" "${args[@]}" -H "Authorization: Bearer $token" "http://127.0.0.1:$gw_port$path" | awk '/requests in/ {print $1}')"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  local ir
  ir="$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
  awk -v b="$bin" -v r="$route" -v n="$requests" -v ir="$ir" \
    'BEGIN { printf "%-44s %-9s %10d %14d %14.0f\n", b, r, n, ir, ir / n }'
}

printf '%-44s %-9s %10s %14s %14s\n' binary route requests instructions instr/request
for route in calendar openai; do
  for bin in "${bins[@]}"; do measure "$bin" "$route"; done
done
