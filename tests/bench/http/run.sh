#!/usr/bin/env bash
# Compares libs/http against nginx on one small JSON route, in one run, on this machine.
# Usage: tests/bench/http/run.sh [--build-dir DIR] [--duration 10s] [--connections 50]
#                                [--handler-threads 8]
# Needs: a Release build of bench_http_server (see docs/benchmarks.md), nginx (nginx-light), wrk.
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

# Runs wrk and prints "req_per_s p50_ms p99_ms".
measure() {
  local out
  out="$(wrk -t2 -c"$connections" -d"$duration" --latency "$1")"
  echo "$out" >"$work/wrk-$(echo "$2" | tr ' =/' '___').txt"
  local rps p50 p99
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print v }'
}

# nginx: one worker, no access log, the same bytes.
nginx_port="$(free_port)"
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location /v1/ping { default_type application/json; return 200 '$body'; }
  }
}
CONF
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_port "$nginx_port"
[[ "$(curl -s "http://127.0.0.1:$nginx_port/v1/ping")" == "$body" ]] || { echo "nginx answers wrong bytes" >&2; exit 1; }

declare -a names results
read -r n_rps n_p50 n_p99 < <(measure "http://127.0.0.1:$nginx_port/v1/ping" nginx)
names+=("nginx (1 worker)"); results+=("$n_rps $n_p50 $n_p99")

run_ours() {  # label, args...
  local label="$1"; shift
  local port; port="$(free_port)"
  "$server" --port "$port" --handler-threads "$handler_threads" "$@" >"$work/server.out" &
  local pid=$!
  wait_port "$port"
  [[ "$(curl -s "http://127.0.0.1:$port/v1/ping")" == "$body" ]] || { echo "$label answers wrong bytes" >&2; exit 1; }
  local r; r="$(measure "http://127.0.0.1:$port/v1/ping" "$label")"
  kill -TERM "$pid"; wait "$pid" || true
  names+=("$label"); results+=("$r")
}

run_ours "dbaas io=1 inline" --io-threads 1
run_ours "dbaas io=2 inline" --io-threads 2
run_ours "dbaas io=1 pooled" --io-threads 1 --pooled
run_ours "dbaas io=2 pooled" --io-threads 2 --pooled

echo
echo "wrk -t2 -c$connections -d$duration --latency, GET /v1/ping, handler_threads=$handler_threads, $(nproc) cores"
printf '%-22s %12s %10s %10s %12s\n' server "req/s" "p50 ms" "p99 ms" "vs nginx"
for i in "${!names[@]}"; do
  read -r rps p50 p99 <<<"${results[$i]}"
  ratio="$(awk -v a="$rps" -v b="$n_rps" 'BEGIN { printf "%.2fx", a / b }')"
  printf '%-22s %12s %10s %10s %12s\n' "${names[$i]}" "$rps" "$p50" "$p99" "$ratio"
done
