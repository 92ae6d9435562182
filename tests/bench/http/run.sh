#!/usr/bin/env bash
# Compares libs/http against nginx on one small JSON route, in one run, on this machine.
# Usage: tests/bench/http/run.sh [--build-dir DIR] [--duration 10s] [--connections 50]
#                                [--handler-threads 8]
# Needs: a Release build of bench_http_server (see docs/benchmarks.md), nginx (nginx-light), wrk.
#
# Pairings: "io=1" rows are compared with nginx 1 worker (one core for the server, one for wrk:
# the headline), "io=2" rows with nginx 2 workers. "srv cpu" and "wrk cpu" are the CPU the
# server (all its threads/processes) and wrk used, in percent of one core, so a saturated wrk
# (the client shares the two cores) is visible; "us/req" is server CPU per request.
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
build_dir="$root/build/http-rel"
duration=10s
connections=50
handler_threads=8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --handler-threads) handler_threads="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

server="$build_dir/tests/bench/http/bench_http_server"
[[ -x "$server" ]] || { echo "missing $server: build it with -DCMAKE_BUILD_TYPE=Release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (Debian package wrk)" >&2; exit 1; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[[ -x "$nginx_bin" ]] || { echo "nginx is not installed (Debian package nginx-light)" >&2; exit 1; }

body='{"status":"ok","service":"bench"}'
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# CPU seconds used so far by the given processes (all their threads).
cpu_seconds() {
  local ticks=0 pid
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] || continue
    ticks=$((ticks + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# Runs wrk against URL $1 (label $2) while accounting the CPU of server pids $3...; prints
# "req_per_s p50_ms p99_ms server_cpu_pct wrk_cpu_pct".
measure() {
  local url="$1" label="$2"; shift 2
  local file="$work/wrk-$(echo "$label" | tr ' =/()' '_____').txt"
  local before after
  before="$(cpu_seconds "$@")"
  /usr/bin/time -f '%e %U %S' -o "$file.time" \
    wrk -t2 -c"$connections" -d"$duration" --latency "$url" >"$file"
  after="$(cpu_seconds "$@")"
  local rps p50 p99 srv wrk_cpu
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$file")"
  p50="$(awk '$1=="50%" {print $2}' "$file")"
  p99="$(awk '$1=="99%" {print $2}' "$file")"
  read -r elapsed user sys <"$file.time"
  srv="$(awk -v a="$before" -v b="$after" -v e="$elapsed" 'BEGIN { printf "%.0f", (b - a) / e * 100 }')"
  wrk_cpu="$(awk -v u="$user" -v s="$sys" -v e="$elapsed" 'BEGIN { printf "%.0f", (u + s) / e * 100 }')"
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") $srv $wrk_cpu"
}

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print v }'
}

declare -a names results
nginx_rps=()  # by worker count

# nginx: N workers, no access log, the same bytes.
run_nginx() {  # workers
  local workers="$1" port dir reuseport=""
  # Without reuseport one worker tends to accept all of wrk's connections at once and the
  # others idle; with it the kernel spreads connections over the workers.
  [[ "$workers" == 1 ]] || reuseport=" reuseport"
  port="$(free_port)"
  dir="$work/nginx-$workers"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir;
  proxy_temp_path $dir;
  fastcgi_temp_path $dir;
  uwsgi_temp_path $dir;
  scgi_temp_path $dir;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port$reuseport;
    location /v1/ping { default_type application/json; return 200 '$body'; }
  }
}
CONF
  "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" &
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  [[ "$(curl -s "http://127.0.0.1:$port/v1/ping")" == "$body" ]] || { echo "nginx answers wrong bytes" >&2; exit 1; }
  local label="nginx ($workers worker$([[ $workers == 1 ]] || echo s))"
  local r; r="$(measure "http://127.0.0.1:$port/v1/ping" "$label" "$pid" $(pgrep -P "$pid"))"
  kill -QUIT "$pid"; wait "$pid" || true
  names+=("$label"); results+=("$r")
  read -r nginx_rps[$workers] _ <<<"$r"
}

run_ours() {  # label, args...
  local label="$1"; shift
  local port; port="$(free_port)"
  "$server" --port "$port" --handler-threads "$handler_threads" "$@" >"$work/server.out" &
  local pid=$!
  wait_port "$port"
  [[ "$(curl -s "http://127.0.0.1:$port/v1/ping")" == "$body" ]] || { echo "$label answers wrong bytes" >&2; exit 1; }
  local r; r="$(measure "http://127.0.0.1:$port/v1/ping" "$label" "$pid")"
  kill -TERM "$pid"; wait "$pid" || true
  names+=("$label"); results+=("$r")
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
run_nginx 1
run_ours "dbaas io=1 inline" --io-threads 1
run_ours "dbaas io=1 pooled" --io-threads 1 --pooled
run_nginx 2
run_ours "dbaas io=2 inline" --io-threads 2
run_ours "dbaas io=2 pooled" --io-threads 2 --pooled
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "wrk -t2 -c$connections -d$duration --latency, GET /v1/ping, handler_threads=$handler_threads, $(nproc) cores"
echo "load average before: $load_before, after: $load_after"
printf '%-20s %11s %8s %8s %9s %8s %8s %7s\n' server "req/s" "p50 ms" "p99 ms" "vs nginx" \
  "srv cpu" "wrk cpu" "us/req"
for i in "${!names[@]}"; do
  read -r rps p50 p99 srv wrk_cpu <<<"${results[$i]}"
  case "${names[$i]}" in
    *io=2*|*"2 workers"*) base="${nginx_rps[2]}" ;;
    *) base="${nginx_rps[1]}" ;;
  esac
  ratio="$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')"
  per_req="$(awk -v c="$srv" -v r="$rps" 'BEGIN { printf "%.1f", c / 100 / r * 1e6 }')"
  printf '%-20s %11s %8s %8s %9s %7s%% %7s%% %7s\n' "${names[$i]}" "$rps" "$p50" "$p99" \
    "$ratio" "$srv" "$wrk_cpu" "$per_req"
done
echo "io=1 rows are compared with nginx 1 worker (headline), io=2 rows with nginx 2 workers."
