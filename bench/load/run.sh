#!/usr/bin/env bash
# Load benchmark on loopback with wrk, three targets interleaved round by round:
#   direct    nginx `return 200` static JSON (the upstream itself)
#   nginx     nginx proxy_pass to it (keepalive upstream)
#   gateway   gatewaystack to it: RS256 token verified (token cache warm), identity injected,
#             audit on (the embedded default: SQLite, best_effort)
# The JWKS is a static file served by the upstream nginx; the token is minted with jose.
# Prints req/s, p50, p99 per target (median over rounds), gateway/nginx ratios (of the medians,
# and the median of the per-round ratios), and the gateway's RSS when idle and after the load.
# Everything on 127.0.0.1; stops by itself.
#
#   bench/load/run.sh [--binary PATH] [--rounds 3] [--duration 10s] [--threads 2]
#                     [--connections 64] [--workers N] [--token-cache on|off|both]
#                     [--audit on|off|both]
# --workers: nginx proxy worker processes and gateway worker threads; default one per core,
# the default of both (`worker_processes auto`, `server.workers: 0`). With more than one, nginx
# listens with `reuseport`, as the gateway does, so both spread connections the same way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

bin="$root/build/release/gatewaystack"
rounds=3 duration=10s threads=2 connections=64 workers="$(nproc)" cache=on audit=on
while (( $# )); do
  case "$1" in
    --binary) bin="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --workers) workers="$2"; shift ;;
    --token-cache) cache="$2"; shift ;;
    --audit) audit="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$cache" in on|off|both) ;; *) echo "--token-cache on|off|both" >&2; exit 2 ;; esac
case "$audit" in on|off|both) ;; *) echo "--audit on|off|both" >&2; exit 2 ;; esac
[[ $workers =~ ^[1-9][0-9]*$ ]] || { echo "--workers: a positive number" >&2; exit 2; }
for tool in wrk nginx node curl; do command -v "$tool" >/dev/null || { echo "run.sh: $tool missing (scripts/setup)" >&2; exit 1; }; done
bin="$(realpath "$bin" 2>/dev/null || echo "$bin")"
[[ -x "$bin" ]] || { echo "run.sh: no binary at $bin (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
[[ -d "$root/tests/e2e/node_modules/jose" ]] || { echo "run.sh: tests/e2e/node_modules missing (scripts/setup)" >&2; exit 1; }

dir="$(mktemp -d /tmp/gw-bench.XXXXXX)"
chmod 755 "$dir"  # nginx workers (user nobody when started as root) read the JWKS file here
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
up_port=$(free_port); px_port=$(free_port); gw_port=$(free_port); gwn_port=$(free_port)
gwa_port=$(free_port)
while [[ $px_port == "$up_port" ]]; do px_port=$(free_port); done

nginx_conf() {  # name, workers, server block
  mkdir -p "$dir/$1/tmp"
  cat >"$dir/$1/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $2;
pid $dir/$1/nginx.pid;
error_log $dir/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/$1/tmp/body;
  proxy_temp_path $dir/$1/tmp/proxy;
  fastcgi_temp_path $dir/$1/tmp/fastcgi;
  uwsgi_temp_path $dir/$1/tmp/uwsgi;
  scgi_temp_path $dir/$1/tmp/scgi;
  keepalive_requests 1000000;
  $3
}
CONF
}

# 1. upstream: static JSON + the JWKS file.
token="$(node "$root/bench/load/mint.mjs" "http://127.0.0.1:$up_port" "$dir/jwks.json")"
chmod 644 "$dir/jwks.json"
nginx_conf upstream 1 "server {
    listen 127.0.0.1:$up_port;
    location = /jwks.json { default_type application/json; alias $dir/jwks.json; }
    location / { default_type application/json; return 200 '{\"user\":\"bench_user\",\"events\":[{\"id\":1,\"title\":\"Dentist\"}]}'; }
  }"
# 2. nginx reverse proxy.
reuseport=""; (( workers > 1 )) && reuseport=" reuseport"
nginx_conf proxy "$workers" "upstream backend { server 127.0.0.1:$up_port; keepalive 128; }
  server {
    listen 127.0.0.1:$px_port$reuseport;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }"
nginx -p "$dir/upstream" -c "$dir/upstream/nginx.conf" -e "$dir/upstream/error.log" & pids+=($!)
nginx -p "$dir/proxy" -c "$dir/proxy/nginx.conf" -e "$dir/proxy/error.log" & pids+=($!)

# 3. gatewaystack.
gw_config() {  # port, token cache true/false, audit on/off
  [[ $3 == off ]] && echo "audit: {enabled: false}"
  cat <<CONF
server:
  listen: 127.0.0.1:$1
  workers: $workers
identity:
  token_cache: {enabled: $2}
  issuers:
    - issuer: http://127.0.0.1:$up_port
      jwks_uri: http://127.0.0.1:$up_port/jwks.json
      audiences: [api://gateway]
      algorithms: [RS256]
upstreams:
  backend:
    url: http://127.0.0.1:$up_port
    pool: {max_idle: 128}
routes:
  - name: calendar
    prefix: /calendar
    upstream: backend
policy:
  routes:
    calendar: {}
logging:
  level: warn
  access_log: false
CONF
}
declare -A gw_pid
targets=(direct nginx)
declare -A url=([direct]="http://127.0.0.1:$up_port/calendar/events" [nginx]="http://127.0.0.1:$px_port/calendar/events")
start_gw() {  # name, port, cache, audit
  gw_config "$2" "$3" "$4" >"$dir/$1.yaml"
  (cd "$dir" && exec "$bin" serve --config "$dir/$1.yaml") >"$dir/$1.log" 2>&1 & pids+=($!)
  gw_pid[$1]=$!
  targets+=("$1")
  url[$1]="http://127.0.0.1:$2/calendar/events"
}
first_audit=on; [[ $audit == off ]] && first_audit=off
[[ $cache == on || $cache == both ]] && start_gw gateway "$gw_port" true "$first_audit"
[[ $cache == off || $cache == both ]] && start_gw gateway-nocache "$gwn_port" false "$first_audit"
[[ $audit == both ]] && start_gw gateway-noaudit "$gwa_port" true off

for t in "${targets[@]}"; do
  ok=0
  for _ in $(seq 1 150); do
    code="$(curl -s -o "$dir/probe" -w '%{http_code}' -H "Authorization: Bearer $token" "${url[$t]}" || true)"
    [[ $code == 200 ]] && { ok=1; break; }
    sleep 0.2
  done
  if (( !ok )); then
    echo "run.sh: $t not answering 200 at ${url[$t]} (last: $code $(head -c 300 "$dir/probe" 2>/dev/null))" >&2
    cat "$dir"/*.log "$dir"/*/error.log 2>/dev/null | tail -40 >&2
    exit 1
  fi
done

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo '?'; }
sleep 1
declare -A idle_rss
for t in "${targets[@]}"; do [[ -n ${gw_pid[$t]:-} ]] && idle_rss[$t]=$(rss_kib "${gw_pid[$t]}"); done

to_ms() {  # "1.23ms" / "950.00us" / "1.02s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

echo "bench: wrk -t$threads -c$connections -d$duration, $rounds rounds, nginx/gateway workers=$workers, $(nproc) cores"
echo "bench: gateway audit $audit (on = the embedded default: SQLite in the temp dir, best_effort), access log off, logging warn"
echo "bench: upstream $up_port, nginx proxy $px_port, gateway(s) ${targets[*]:2}; logs in $dir"
declare -A rps p50 p99
status=0
# Warm-up: fills the token cache and the connection pools.
for t in "${targets[@]}"; do wrk -t1 -c8 -d2s -H "Authorization: Bearer $token" "${url[$t]}" >/dev/null || true; done
for r in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    if [[ -n ${gw_pid[$t]:-} ]] && ! kill -0 "${gw_pid[$t]}" 2>/dev/null; then
      echo "round $r  $t: the gateway process has exited; its log ($dir/$t.log) ends with:"; tail -20 "$dir/$t.log"
      status=1; continue
    fi
    out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "${url[$t]}" 2>&1)" || { echo "round $r  $t: wrk failed: $out"; status=1; continue; }
    errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)"
    rps[$t]+="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") "
    p50[$t]+="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") "
    p99[$t]+="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") "
    printf 'round %d  %-16s %10s req/s  p50 %8s ms  p99 %8s ms  %s\n' "$r" "$t" \
      "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")" "$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")" \
      "$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")" "${errors//$'\n'/; }"
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END { if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
echo
echo "median over $rounds rounds:"
printf '%-16s %12s %10s %10s %14s\n' target req/s p50_ms p99_ms idle_rss_KiB
for t in "${targets[@]}"; do
  printf '%-16s %12s %10s %10s %14s\n' "$t" "$(median "${rps[$t]}")" "$(median "${p50[$t]}")" "$(median "${p99[$t]}")" "${idle_rss[$t]:--}"
done
n_rps=$(median "${rps[nginx]}"); n_p50=$(median "${p50[nginx]}"); n_p99=$(median "${p99[nginx]}")
for t in "${targets[@]:2}"; do
  awk -v g="$(median "${rps[$t]}")" -v n="$n_rps" -v g50="$(median "${p50[$t]}")" -v n50="$n_p50" -v g99="$(median "${p99[$t]}")" -v n99="$n_p99" -v t="$t" \
    'BEGIN { printf "%s/nginx: req/s x%.2f, p50 x%.2f, p99 x%.2f\n", t, g/n, (n50 > 0 ? g50/n50 : 0), (n99 > 0 ? g99/n99 : 0) }'
  # Each round runs nginx and the gateway back to back: the ratio within a round cancels the
  # drift of a shared machine's speed between rounds.
  per_round() {  # gateway values, nginx values -> "median min max" of their ratios
    paste -d' ' <(tr ' ' '\n' <<<"$1" | grep -v '^$') <(tr ' ' '\n' <<<"$2" | grep -v '^$') |
      awk '$2 > 0 { print $1 / $2 }' | sort -g |
      awk '{a[NR]=$1} END { m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "x%.2f (x%.2f-x%.2f)", m, a[1], a[NR] }'
  }
  echo "$t/nginx, median of per-round ratios (min-max): req/s $(per_round "${rps[$t]}" "${rps[nginx]}"), p99 $(per_round "${p99[$t]}" "${p99[nginx]}")"
  echo "$t RSS after load: $(rss_kib "${gw_pid[$t]}") KiB"
done
exit $status
