#!/usr/bin/env bash
# What the audit trail costs: the gateway under wrk load on loopback with three audit settings,
# interleaved round by round:
#   off           audit: {enabled: false}
#   best_effort   SQLite sink, mode best_effort (records queued, never waits)
#   fail_closed   SQLite sink, mode fail_closed (a response waits until its record is committed)
# Same setup as run.sh: nginx `return 200` static JSON upstream that also serves the JWKS file,
# a token minted with jose (token cache warm), identity injected, policy allow. Prints req/s,
# p50, p99 per setting (median over rounds), ratios against `off`, the audit records written per
# second during the runs (from gw_audit_records_written_total on the admin /metrics), the
# records per SQLite commit (group commit size: written / gw_audit_batches_written_total) and the
# queue high-water mark (gw_audit_queue_high_water), and CPU time: the gateway's (all threads)
# per request, the same without the audit threads (io: what the requests cost the I/O threads),
# and its audit writer's and syncer's (threads gw-audit-write, gw-audit-sync, from /proc) per
# record written: less sensitive than req/s to what else runs on the machine. Also the whole
# machine's CPU per request (mach_us/req: wrk, upstream, gateway and the kernel's disk writeback;
# the ratio that req/s follows when the run is CPU-bound), and per round the share of CPU time the
# hypervisor stole (a shared VM: rounds with a high steal are not comparable).
# Loopback only; stops by itself.
# Default: 3 rounds x 3 settings x 8s + warm-up, about 1.5 min. Its temporary directory (the
# SQLite files grow by about 1 GB per run) is removed on exit, unless --keep.
#
#   bench/load/audit.sh [--binary PATH] [--rounds 3] [--duration 8s] [--threads 2]
#                       [--connections 64] [--workers 1] [--keep]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

bin="$root/build/release/gatewaystack"
rounds=3 duration=8s threads=2 connections=64 workers=1 keep=0
while (( $# )); do
  case "$1" in
    --binary) bin="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --workers) workers="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "audit.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $duration =~ ^[0-9]+s$ ]] || { echo "audit.sh: --duration in whole seconds (e.g. 8s)" >&2; exit 2; }
secs=${duration%s}
total_s=$(( rounds * 3 * secs + 6 ))
(( total_s <= 180 )) || { echo "audit.sh: $rounds rounds x 3 x $duration = ${total_s}s exceeds the 3 min bound" >&2; exit 2; }
for tool in wrk nginx node curl; do command -v "$tool" >/dev/null || { echo "audit.sh: $tool missing (scripts/setup)" >&2; exit 1; }; done
bin="$(realpath "$bin" 2>/dev/null || echo "$bin")"
[[ -x "$bin" ]] || { echo "audit.sh: no binary at $bin (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
[[ -d "$root/tests/e2e/node_modules/jose" ]] || { echo "audit.sh: tests/e2e/node_modules missing (scripts/setup)" >&2; exit 1; }

dir="$(mktemp -d /tmp/gw-bench-audit.XXXXXX)"
chmod 755 "$dir"  # nginx workers (user nobody when started as root) read the JWKS file here
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if (( keep )); then echo "bench: kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
declare -A used
port() { local p; p=$(free_port); while [[ -n ${used[$p]:-} ]]; do p=$(free_port); done; used[$p]=1; echo "$p"; }
up_port=$(port)

# 1. upstream: static JSON + the JWKS file.
token="$(node "$root/bench/load/mint.mjs" "http://127.0.0.1:$up_port" "$dir/jwks.json")"
chmod 644 "$dir/jwks.json"
mkdir -p "$dir/upstream/tmp"
cat >"$dir/upstream/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $dir/upstream/nginx.pid;
error_log $dir/upstream/error.log warn;
events { worker_connections 4096; }
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
    location / { default_type application/json; return 200 '{"user":"bench_user","events":[{"id":1,"title":"Dentist"}]}'; }
  }
}
CONF
nginx -p "$dir/upstream" -c "$dir/upstream/nginx.conf" -e "$dir/upstream/error.log" & pids+=($!)

# 2. three gateways, one per audit setting, each with an admin listener for /metrics.
gw_config() {  # port, admin port, audit block
  cat <<CONF
server:
  listen: 127.0.0.1:$1
  workers: $workers
admin:
  listen: 127.0.0.1:$2
identity:
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
$3
CONF
}
targets=(off best_effort fail_closed)
declare -A audit_block=(
  [off]="audit: {enabled: false}"
  [best_effort]="audit: {mode: best_effort, instance_id: bench-be, sqlite: {path: $dir/best_effort.sqlite}}"
  [fail_closed]="audit: {mode: fail_closed, instance_id: bench-fc, sqlite: {path: $dir/fail_closed.sqlite}}"
)
declare -A gw_pid url admin
for t in "${targets[@]}"; do
  p=$(port); a=$(port)
  gw_config "$p" "$a" "${audit_block[$t]}" >"$dir/$t.yaml"
  (cd "$dir" && exec "$bin" serve --config "$dir/$t.yaml") >"$dir/$t.log" 2>&1 & pids+=($!)
  gw_pid[$t]=$!
  url[$t]="http://127.0.0.1:$p/calendar/events"
  admin[$t]="http://127.0.0.1:$a/metrics"
done

for t in "${targets[@]}"; do
  ok=0 code=
  for _ in $(seq 1 150); do
    code="$(curl -s -o "$dir/probe" -w '%{http_code}' -H "Authorization: Bearer $token" "${url[$t]}" || true)"
    [[ $code == 200 ]] && { ok=1; break; }
    sleep 0.2
  done
  if (( !ok )); then
    echo "audit.sh: $t not answering 200 at ${url[$t]} (last: $code $(head -c 300 "$dir/probe" 2>/dev/null))" >&2
    tail -40 "$dir/$t.log" "$dir/upstream/error.log" >&2 2>/dev/null || true
    exit 1
  fi
done

metric() {  # setting, metric name -> sum over its series (0 when absent)
  curl -s "${admin[$1]}" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF; found = 1 } END { printf "%d\n", (found ? s : 0) }'
}
to_ms() {  # "1.23ms" / "950.00us" / "1.02s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
clk_tck=$(getconf CLK_TCK)
cpu_ticks() {  # pid [thread name] -> utime + stime in clock ticks (the process, or its threads of that name)
  if [[ -z ${2:-} ]]; then
    awk '{ i = index($0, ")"); split(substr($0, i + 2), f, " "); print f[12] + f[13] }' "/proc/$1/stat"
  else
    awk -v n="$2" '{ i = index($0, ")"); b = index($0, "(")
      if (substr($0, b + 1, i - b - 1) == n) { split(substr($0, i + 2), f, " "); s += f[12] + f[13] } }
      END { print s + 0 }' /proc/"$1"/task/*/stat
  fi
}
per_item_us() {  # ticks, items -> microseconds of CPU per item ("-" without items)
  awk -v t="$1" -v n="$2" -v hz="$clk_tck" 'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print "-" }'
}
machine_ticks() {  # clock ticks of every CPU: busy (user, nice, system, irq, softirq; not idle,
                   # iowait or steal), in all, and stolen by the hypervisor
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9; exit }' /proc/stat
}
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END { if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2 }'; }

echo "bench: wrk -t$threads -c$connections -d$duration, $rounds rounds, gateway workers=$workers, $(nproc) cores"
echo "bench: audit off | best_effort (SQLite) | fail_closed (SQLite); access log off, logging warn; files in $dir (--keep keeps them)"
# Warm-up: fills the token cache and the connection pools.
for t in "${targets[@]}"; do wrk -t1 -c8 -d2s -H "Authorization: Bearer $token" "${url[$t]}" >/dev/null || true; done

declare -A rps p50 p99 wps rpb gwcpu mcpu iocpu wcpu scpu
status=0
for r in $(seq 1 "$rounds"); do
  for t in "${targets[@]}"; do
    if ! kill -0 "${gw_pid[$t]}" 2>/dev/null; then
      echo "round $r  $t: the gateway process has exited; its log ($dir/$t.log) ends with:"; tail -20 "$dir/$t.log"
      status=1; continue
    fi
    before=$(metric "$t" gw_audit_records_written_total)
    batches_before=$(metric "$t" gw_audit_batches_written_total)
    gw_before=$(cpu_ticks "${gw_pid[$t]}")
    w_before=$(cpu_ticks "${gw_pid[$t]}" gw-audit-write)
    s_before=$(cpu_ticks "${gw_pid[$t]}" gw-audit-sync)
    read -r busy_before all_before stolen_before <<<"$(machine_ticks)"
    start_ns=$(date +%s%N)
    out="$(wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "${url[$t]}" 2>&1)" || { echo "round $r  $t: wrk failed: $out"; status=1; continue; }
    end_ns=$(date +%s%N)
    read -r busy_after all_after stolen_after <<<"$(machine_ticks)"
    m_ticks=$(( busy_after - busy_before ))
    x_steal=$(awk -v s=$(( stolen_after - stolen_before )) -v a=$(( all_after - all_before )) 'BEGIN { printf "%.0f", (a > 0 ? 100 * s / a : 0) }')
    # best_effort may still be draining its queue: include what lands within 0.5 s.
    [[ $t == best_effort ]] && sleep 0.5
    after=$(metric "$t" gw_audit_records_written_total)
    batches_after=$(metric "$t" gw_audit_batches_written_total)
    gw_ticks=$(( $(cpu_ticks "${gw_pid[$t]}") - gw_before ))
    w_ticks=$(( $(cpu_ticks "${gw_pid[$t]}" gw-audit-write) - w_before ))
    s_ticks=$(( $(cpu_ticks "${gw_pid[$t]}" gw-audit-sync) - s_before ))
    w=$(awk -v a="$after" -v b="$before" -v ns=$(( end_ns - start_ns )) 'BEGIN { printf "%.0f", (a - b) / (ns / 1e9) }')
    per_batch=$(awk -v a="$(( after - before ))" -v b="$(( batches_after - batches_before ))" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
    errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)"
    x_rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    x50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    x99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    x_requests="$(awk '/requests in/ {print $1}' <<<"$out")"
    x_gw=$(per_item_us "$gw_ticks" "$x_requests") x_io=$(per_item_us "$(( gw_ticks - w_ticks - s_ticks ))" "$x_requests")
    x_m=$(per_item_us "$m_ticks" "$x_requests")
    x_w=$(per_item_us "$w_ticks" "$(( after - before ))") x_s=$(per_item_us "$s_ticks" "$(( after - before ))")
    rps[$t]+="$x_rps " p50[$t]+="$x50 " p99[$t]+="$x99 " wps[$t]+="$w " rpb[$t]+="$per_batch "
    gwcpu[$t]+="$x_gw " mcpu[$t]+="$x_m " iocpu[$t]+="$x_io " wcpu[$t]+="$x_w " scpu[$t]+="$x_s "
    printf 'round %d  %-12s %10s req/s  p50 %8s ms  p99 %8s ms  audit %8s rec/s %7s rec/commit  cpu us: machine/req %6s gw/req %6s io/req %6s writer/rec %6s syncer/rec %6s  steal %3s%%  %s\n' \
      "$r" "$t" "$x_rps" "$x50" "$x99" "$w" "$per_batch" "$x_m" "$x_gw" "$x_io" "$x_w" "$x_s" "$x_steal" "${errors//$'\n'/; }"
    [[ -n $errors ]] && status=1
  done
done

echo
echo "median over $rounds rounds:"
printf '%-12s %10s %9s %9s %9s %9s %11s %11s %10s %11s %10s %10s %10s %10s %10s\n' audit req/s p50_ms p99_ms rps/off p99/off records/s high_water dropped rec/commit mach_us/req gw_us/req io_us/req wr_us/rec sy_us/rec
o_rps=$(median "${rps[off]}"); o_p99=$(median "${p99[off]}")
for t in "${targets[@]}"; do
  m_rps=$(median "${rps[$t]}"); m_p99=$(median "${p99[$t]}")
  hw=- dr=-
  if [[ $t != off ]]; then hw=$(metric "$t" gw_audit_queue_high_water); dr=$(metric "$t" gw_audit_dropped_total); fi
  printf '%-12s %10s %9s %9s %9s %9s %11s %11s %10s %11s %10s %10s %10s %10s %10s\n' "$t" "$m_rps" "$(median "${p50[$t]}")" "$m_p99" \
    "$(awk -v a="$m_rps" -v b="$o_rps" 'BEGIN { printf "x%.2f", (b > 0 ? a / b : 0) }')" \
    "$(awk -v a="$m_p99" -v b="$o_p99" 'BEGIN { printf "x%.2f", (b > 0 ? a / b : 0) }')" \
    "$([[ $t == off ]] && echo - || median "${wps[$t]}")" "$hw" "$dr" \
    "$([[ $t == off ]] && echo - || median "${rpb[$t]}")" "$(median "${mcpu[$t]}")" "$(median "${gwcpu[$t]}")" "$(median "${iocpu[$t]}")" \
    "$([[ $t == off ]] && echo - || median "${wcpu[$t]}")" "$([[ $t == off ]] && echo - || median "${scpu[$t]}")"
done
exit $status
