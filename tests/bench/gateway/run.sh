#!/usr/bin/env bash
# Compares the gateway with nginx proxy_pass and with no proxy at all, in one run, on one cheap
# authenticated GET served by access-control (GET /v1/tenants/<id>: JWT check + one database read).
# Usage: tests/bench/gateway/run.sh [--build-dir DIR] [--duration 10s] [--connections 50]
#                                   [--warmup 2s] [--probe 5s] [--cheap 1] [--perf FILE] [--breakdown]
# Needs: a Release build of dbaas-gateway and dbaas-access-control (see docs/benchmarks.md),
# PostgreSQL 15 and nats-server (deploy/local/install-deps), nginx (nginx-light), wrk, curl,
# python3.
#
# What it does, all in one run: starts the platform with deploy/local/up (PostgreSQL, NATS,
# access-control, gateway) on free ports in a temporary state directory with a known admin
# password; raises the gateway's rate limits (DBAAS_RATE_LIMIT_*) so the limiter never throttles
# the benchmark; logs in; creates one tenant; starts nginx (1 worker, keep-alive upstream) in
# front of access-control; then measures the same request
#   (a) direct   on access-control's own port,
#   (b) nginx    proxy_pass to access-control,
#   (c) gateway  to access-control (verifies the JWT against the JWKS, identity cache, limiter,
#                header policy, forwards on a pooled keep-alive connection).
# Each path gets an unmeasured warm-up first. "proxy cpu" is the CPU the proxy (nginx worker +
# master, or the gateway) used in percent of one core, "backend cpu" access-control's,
# "proxy us/req" the proxy's CPU per request. Everything is stopped (deploy/local/down, nginx)
# and the temporary directory removed on exit, also on failure or Ctrl-C.
# Then, with --probe (default 5s; 0 skips it), the three paths again with one connection
# (wrk -t1 -c1): without queueing at the backend, p50(gateway) - p50(direct) is the gateway's own
# per-request latency, which at 50 connections is buried in the backend's queueing noise.
# Then, unless --cheap 0, the three paths again at 50 connections on a cheap backend answer:
# GET /.well-known/jwks.json (public; access-control serves it from memory, no database), so
# the proxies' own cost is not hidden behind the database read. It is a public route: the
# gateway checks no token there (routing, rate limiter, header policy and forwarding only).
# --breakdown also prints, for every measured run, the CPU each program on the machine used
# (percent of one core, 1 % and more): where the cycles of a path go (postgres, nats-server ...).
# --perf FILE also records the gateway with `perf record -g` during its measured run (read it
# with `perf report -i FILE --no-children`); the numbers of that run include perf's overhead.
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
build_dir="$root/build/gw-rel"
duration=10s
connections=50
warmup=2s
probe=5s
cheap=1
perf_out=""
breakdown=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --probe) probe="$2"; shift 2 ;;
    --cheap) cheap="$2"; shift 2 ;;
    --perf) perf_out="$(realpath -m -- "$2")"; shift 2 ;;
    --breakdown) breakdown=1; shift ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
build_dir="$(realpath -m -- "$build_dir")"

for bin in gateway access-control; do
  [[ -x "$build_dir/services/$bin/dbaas-$bin" ]] || {
    echo "missing $build_dir/services/$bin/dbaas-$bin: build it with -DCMAKE_BUILD_TYPE=Release" \
      "(ninja -C $build_dir dbaas-gateway dbaas-access-control)" >&2
    exit 1
  }
done
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[[ -x "$nginx_bin" ]] || { echo "nginx is not installed (Debian package nginx-light)" >&2; exit 1; }

# /tmp is world-traversable, so the unprivileged PostgreSQL user can reach the state dir.
work="$(mktemp -d /tmp/dbaas-bench-gw.XXXXXX)"
chmod 0755 "$work"
state="$work/state"
nginx_pid=""
platform_started=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$nginx_pid" ]]; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [[ "$platform_started" == 1 ]]; then
    "$root/deploy/local/down" --state-dir "$state" >"$work/down.log" 2>&1 ||
      { echo "deploy/local/down failed:" >&2; cat "$work/down.log" >&2; }
  fi
  if [[ "$rc" != 0 && -d "$state/logs" ]]; then
    echo "failed (exit $rc); last lines of the service logs:" >&2
    for f in "$state"/logs/{gateway,access-control}.log; do
      [[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Five distinct free ports (all sockets held open until every port is picked).
read -r pg_port nats_port ac_port gw_port nginx_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()')

admin_password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
limit="1000000000/1:1000000000"  # 10^9 requests/s, burst 10^9: the limiter never says no

echo "starting the platform (PostgreSQL :$pg_port, NATS :$nats_port, access-control :$ac_port," \
  "gateway :$gw_port); gateway rate limits raised to $limit for this run" >&2
platform_started=1
if ! DBAAS_SKIP_INSTALL=1 DBAAS_STATE_DIR="$state" \
  DBAAS_PG_PORT="$pg_port" DBAAS_NATS_PORT="$nats_port" \
  DBAAS_ACCESS_CONTROL_PORT="$ac_port" DBAAS_GATEWAY_PORT="$gw_port" \
  DBAAS_ADMIN_PASSWORD="$admin_password" \
  DBAAS_RATE_LIMIT_READS="$limit" DBAAS_RATE_LIMIT_WRITES="$limit" \
  DBAAS_RATE_LIMIT_AUTH="$limit" DBAAS_RATE_LIMIT_GLOBAL="$limit" \
  "$root/deploy/local/up" --detach --no-build --build-dir "$build_dir" --state-dir "$state" \
  >"$work/up.log" 2>&1; then
  cat "$work/up.log" >&2
  exit 1
fi

pid_of() { head -n1 "$state/run/$1.pid"; }
ac_pid="$(pid_of access-control)"
gw_pid="$(pid_of gateway)"

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

token="$(curl -fsS -X POST "http://127.0.0.1:$ac_port/v1/auth/token" \
  -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" | json_field access_token)"
tenant_id="$(curl -fsS -X POST "http://127.0.0.1:$ac_port/v1/tenants" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"bench-gateway","display_name":"Gateway benchmark"}' | json_field id)"
path="/v1/tenants/$tenant_id"

# nginx: 1 worker, keep-alive upstream to access-control.
ndir="$work/nginx"
mkdir -p "$ndir"
cat >"$ndir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $ndir/nginx.pid;
error_log $ndir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $ndir;
  proxy_temp_path $ndir;
  fastcgi_temp_path $ndir;
  uwsgi_temp_path $ndir;
  scgi_temp_path $ndir;
  keepalive_requests 1000000;
  upstream access_control {
    server 127.0.0.1:$ac_port;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://access_control;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
"$nginx_bin" -c "$ndir/nginx.conf" -p "$ndir" &
nginx_pid=$!

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}
wait_port "$nginx_port"

# The same body on every path, or the comparison is meaningless.
expected="$(curl -fsS "http://127.0.0.1:$ac_port$path" -H "Authorization: Bearer $token")"
for port in "$nginx_port" "$gw_port"; do
  got="$(curl -fsS "http://127.0.0.1:$port$path" -H "Authorization: Bearer $token")" ||
    { echo "GET $path on port $port failed" >&2; exit 1; }
  [[ "$got" == "$expected" ]] || { echo "port $port answers a different body: $got" >&2; exit 1; }
done

# CPU seconds used so far by the given processes (all their threads).
cpu_seconds() {
  local ticks=0 pid
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] || continue
    ticks=$((ticks + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# CPU ticks of every process, one "comm ticks" line each, to break a run's CPU down by program.
cpu_by_program() {
  local f
  for f in /proc/[0-9]*/stat; do
    awk '{c = $0; sub(/^[^(]*\(/, "", c); sub(/\).*$/, "", c); s = $0; sub(/^.*\) /, "", s);
          split(s, a, " "); print c, a[12] + a[13]}' "$f" 2>/dev/null
  done | awk '{t[$1] += $2} END {for (c in t) print c, t[c]}'
}

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print v }'
}

# Runs wrk on port $1 (label $2) while accounting the CPU of proxy pids $3... (none for the
# direct path) and of access-control; prints
# "req_per_s p50_ms p99_ms non_2xx proxy_cpu_pct backend_cpu_pct".
measure() {
  local port="$1" label="$2"
  shift 2
  local url="http://127.0.0.1:$port$path" file="$work/wrk-$label-c$wrk_conns.txt"
  wrk -t"$wrk_threads" -c"$wrk_conns" -d"$warmup" -H "Authorization: Bearer $token" "$url" >/dev/null
  local p0 b0 p1 b1 t0 t1 perf_pid=""
  if [[ -n "$perf_out" && "$label" == gateway && "$wrk_conns" == "$connections" ]]; then
    perf record -q -g -F "${DBAAS_BENCH_PERF_HZ:-499}" -p "$gw_pid" -o "$perf_out" 2>"$work/perf.log" &
    perf_pid=$!
    sleep 0.5
  fi
  [[ -n "$breakdown" ]] && cpu_by_program >"$work/cpu0-$label.txt"
  p0="$(cpu_seconds "$@")"; b0="$(cpu_seconds "$ac_pid")"; t0="$(date +%s.%N)"
  wrk -t"$wrk_threads" -c"$wrk_conns" -d"$wrk_duration" --latency -H "Authorization: Bearer $token" "$url" >"$file"
  p1="$(cpu_seconds "$@")"; b1="$(cpu_seconds "$ac_pid")"; t1="$(date +%s.%N)"
  if [[ -n "$breakdown" ]]; then
    cpu_by_program >"$work/cpu1-$label.txt"
    awk -v e="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v hz="$(getconf CLK_TCK)" \
      -v label="$label" 'NR == FNR { a[$1] = $2; next }
      { d = ($2 - a[$1]) / hz / e * 100; if (d >= 1) printf "  %-14s %-18s %5.0f%%\n", label, $1, d }' \
      "$work/cpu0-$label.txt" "$work/cpu1-$label.txt" | sort -k3 -nr >>"$work/breakdown.txt"
  fi
  if [[ -n "$perf_pid" ]]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || { echo "perf record failed:" >&2; cat "$work/perf.log" >&2; }
  fi
  local rps p50 p99 bad
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$file")"
  p50="$(awk '$1=="50%" {print $2}' "$file")"
  p99="$(awk '$1=="99%" {print $2}' "$file")"
  bad="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$file")"
  awk -v r="$rps" -v a="$(to_ms "$p50")" -v b="$(to_ms "$p99")" -v n="${bad:-0}" \
    -v p0="$p0" -v p1="$p1" -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" \
    'BEGIN { e = t1 - t0; printf "%s %s %s %s %.0f %.0f\n", r, a, b, n,
             (p1 - p0) / e * 100, (b1 - b0) / e * 100 }'
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
mapfile -t nginx_workers < <(pgrep -P "$nginx_pid")
wrk_threads=2 wrk_conns="$connections" wrk_duration="$duration"
r_direct="$(measure "$ac_port" direct)"
r_nginx="$(measure "$nginx_port" nginx "$nginx_pid" "${nginx_workers[@]}")"
r_gateway="$(measure "$gw_port" gateway "$gw_pid")"
if [[ "$probe" != 0 ]]; then
  wrk_threads=1 wrk_conns=1 wrk_duration="$probe"
  p_direct="$(measure "$ac_port" direct)"
  p_nginx="$(measure "$nginx_port" nginx "$nginx_pid" "${nginx_workers[@]}")"
  p_gateway="$(measure "$gw_port" gateway "$gw_pid")"
fi
if [[ "$cheap" != 0 ]]; then
  tenant_path="$path"
  path="/.well-known/jwks.json"
  expected="$(curl -fsS "http://127.0.0.1:$ac_port$path")"
  for port in "$nginx_port" "$gw_port"; do
    got="$(curl -fsS "http://127.0.0.1:$port$path")" ||
      { echo "GET $path on port $port failed" >&2; exit 1; }
    [[ "$got" == "$expected" ]] || { echo "port $port answers a different JWKS: $got" >&2; exit 1; }
  done
  wrk_threads=2 wrk_conns="$connections" wrk_duration="$duration"
  c_direct="$(measure "$ac_port" direct-cheap)"
  c_nginx="$(measure "$nginx_port" nginx-cheap "$nginx_pid" "${nginx_workers[@]}")"
  c_gateway="$(measure "$gw_port" gateway-cheap "$gw_pid")"
  path="$tenant_path"
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

read -r _ d_p50 d_p99 _ <<<"$r_direct"
read -r n_rps n_p50 n_p99 _ <<<"$r_nginx"
read -r g_rps g_p50 g_p99 _ <<<"$r_gateway"

echo
echo "wrk -t2 -c$connections -d$duration --latency (after a $warmup warm-up), GET /v1/tenants/<id>" \
  "with a Bearer JWT, $(nproc) cores"
echo "load average before: $load_before, after: $load_after"
echo "gateway rate limits raised to $limit for this run (DBAAS_RATE_LIMIT_*)"
table() {  # direct nginx gateway results
  local base row label rps p50 p99 bad pcpu bcpu ratio pcol per
  read -r base _ <<<"$2"
  printf '%-9s %10s %8s %8s %7s %9s %9s %11s %8s\n' path "req/s" "p50 ms" "p99 ms" non-2xx \
    "vs nginx" "proxy cpu" "backend cpu" "proxy us/req"
  for row in "direct:$1" "nginx:$2" "gateway:$3"; do
    label="${row%%:*}"
    read -r rps p50 p99 bad pcpu bcpu <<<"${row#*:}"
    ratio="$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')"
    if [[ "$label" == direct ]]; then pcol="-"; per="-"; else
      pcol="$pcpu%"
      per="$(awk -v c="$pcpu" -v r="$rps" 'BEGIN { printf "%.1f", c / 100 / r * 1e6 }')"
    fi
    printf '%-9s %10s %8s %8s %7s %9s %9s %10s%% %8s\n' "$label" "$rps" "$p50" "$p99" "$bad" \
      "$ratio" "$pcol" "$bcpu" "$per"
  done
}
table "$r_direct" "$r_nginx" "$r_gateway"
awk -v g="$g_rps" -v n="$n_rps" -v gp50="$g_p50" -v gp99="$g_p99" -v dp50="$d_p50" -v dp99="$d_p99" \
  -v np50="$n_p50" -v np99="$n_p99" 'BEGIN {
     printf "gateway/nginx throughput: %.2fx (target >= 1.00x)\n", g / n
     printf "gateway added latency vs direct: p50 %+.3f ms, p99 %+.3f ms (target p99 < 1 ms)\n",
            gp50 - dp50, gp99 - dp99
     printf "(nginx added latency vs direct: p50 %+.3f ms, p99 %+.3f ms)\n", np50 - dp50, np99 - dp99 }'
if [[ "$probe" != 0 ]]; then
  echo
  echo "one connection (wrk -t1 -c1 -d$probe --latency): the gateway's own per-request latency"
  table "$p_direct" "$p_nginx" "$p_gateway"
  read -r _ pd50 pd99 _ <<<"$p_direct"
  read -r _ pn50 pn99 _ <<<"$p_nginx"
  read -r _ pg50 pg99 _ <<<"$p_gateway"
  awk -v d50="$pd50" -v d99="$pd99" -v n50="$pn50" -v n99="$pn99" -v g50="$pg50" -v g99="$pg99" \
    'BEGIN { printf "added latency at 1 connection: gateway p50 %+.3f ms, p99 %+.3f ms;" \
             " nginx p50 %+.3f ms, p99 %+.3f ms\n", g50 - d50, g99 - d99, n50 - d50, n99 - d99 }'
fi
if [[ "$cheap" != 0 ]]; then
  echo
  echo "cheap backend: wrk -t2 -c$connections -d$duration --latency, GET /.well-known/jwks.json" \
    "(public, no database; the gateway checks no token here)"
  table "$c_direct" "$c_nginx" "$c_gateway"
  read -r _ cd50 cd99 _ <<<"$c_direct"
  read -r cn_rps cn50 cn99 _ <<<"$c_nginx"
  read -r cg_rps cg50 cg99 _ <<<"$c_gateway"
  awk -v g="$cg_rps" -v n="$cn_rps" -v d50="$cd50" -v d99="$cd99" -v n50="$cn50" -v n99="$cn99" \
    -v g50="$cg50" -v g99="$cg99" 'BEGIN {
       printf "cheap backend gateway/nginx throughput: %.2fx\n", g / n
       printf "cheap backend added latency: gateway p50 %+.3f ms, p99 %+.3f ms;" \
              " nginx p50 %+.3f ms, p99 %+.3f ms\n", g50 - d50, g99 - d99, n50 - d50, n99 - d99 }'
fi
if [[ -n "$breakdown" ]]; then
  echo
  echo "CPU by program during each measured run (percent of one core):"
  cat "$work/breakdown.txt"
fi
