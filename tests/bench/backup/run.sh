#!/usr/bin/env bash
# Backup benchmark: our full backup against the shell-pipeline floor and pgBackRest, in one run,
# on one pgbench database, with pgbench's TPS measured during each backup.
# Usage: tests/bench/backup/run.sh [--scale 68] [--build-dir build/release] [--rate-limit MBPS]
#                                  [--clients 4] [--keep]
# --scale is pgbench's scale factor (68 is about 1 GB of database); --rate-limit throttles our
# backup's reads (MB/s; 0 = unthrottled, the default) for the foreground-impact row.
# Needs: PostgreSQL 15 (package postgresql), pgbackrest, zstd, openssl, python3, and a build of
# dbaas-backup-tool (the backup pipeline's command-line front end).
#
# What it does: initdb + start a private PostgreSQL 15 (as the `postgres` OS user) on a free port
# with WAL archiving through pgBackRest; pgbench -i at --scale; measures pgbench TPS with no
# backup (baseline, the same duration as the longest backup below), then for each contender runs
# the backup while pgbench runs, and records: backup seconds, throughput (MB of database per
# second), stored size, TPS during the backup vs baseline, then restore seconds (data back in a
# fresh directory, decrypted and decompressed; server start not included):
#   floor       pg_basebackup -Ft -X fetch -D - | zstd -3 | openssl enc -aes-256-cbc -pbkdf2
#   pgbackrest  pgbackrest backup --type=full (compress-type=zst level 3, repo cipher
#               aes-256-cbc, process-max=1), restore with pgbackrest restore
#   dbaas       dbaas-backup-tool (services/backup/tools): the same pg_basebackup stream the
#               backup service takes -> zstd 3 -> AES-256-GCM frames -> SHA-256 -> filesystem
#               store; restore through the same pipeline into tar -x. With --rate-limit, a
#               second row with the read throttle on (DBAAS_BACKUP_RATE_LIMIT_MBPS).
# Everything is stopped and the work directory removed on exit unless --keep.
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
scale=68
build_dir="$root/build/release"
rate_limit=0
clients=4
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --rate-limit) rate_limit="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
build_dir="$(realpath -m -- "$build_dir")"
pgbin=/usr/lib/postgresql/15/bin
tool="$build_dir/services/backup/dbaas-backup-tool"
for need in "$pgbin/initdb" "$pgbin/pg_basebackup" "$pgbin/pgbench"; do
  [[ -x "$need" ]] || { echo "missing $need: apt-get install postgresql" >&2; exit 1; }
done
for need in pgbackrest zstd openssl python3; do
  command -v "$need" >/dev/null || { echo "missing $need: apt-get install $need" >&2; exit 1; }
done
ours=1
if [[ ! -x "$tool" ]]; then
  echo "note: $tool is not built; only the floor and pgBackRest are measured" \
    "(cmake --build <dir> --target dbaas-backup-tool)" >&2
  ours=0
fi

work="$(mktemp -d /tmp/dbaas-bench-backup.XXXXXX)"
chmod 755 "$work"
chown postgres: "$work"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  set +e
  [[ -n "${pgbench_pid:-}" ]] && kill "$pgbench_pid" 2>/dev/null
  [[ -f "$work/data/postmaster.pid" ]] && as_pg "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1
  if [[ "$keep" == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export PGHOST="$work" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres

# pgBackRest: zstd level 3 and AES-256-CBC on the repository, one process, as documented.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/cipher-pass"
chmod 600 "$work/cipher-pass"
cat >"$work/pgbackrest.conf" <<CONF
[global]
repo1-path=$work/pgbackrest-repo
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$(cat "$work/cipher-pass")
compress-type=zst
compress-level=3
process-max=1
repo1-retention-full=1
start-fast=y
log-level-console=warn
log-level-file=off
lock-path=$work/pgbackrest-lock
spool-path=$work/pgbackrest-spool

[bench]
pg1-path=$work/data
pg1-port=$port
pg1-socket-path=$work
CONF
chown postgres: "$work/pgbackrest.conf" "$work/cipher-pass"
chmod 600 "$work/pgbackrest.conf"
pgbr() { as_pg pgbackrest --config="$work/pgbackrest.conf" --stanza=bench "$@"; }

echo "initdb and start PostgreSQL 15 on port $port (work dir $work)" >&2
as_pg "$pgbin/initdb" -D "$work/data" -U postgres -A trust >/dev/null
cat >>"$work/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work'
port = $port
shared_buffers = 256MB
max_wal_size = 4GB
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$work/pgbackrest.conf --stanza=bench archive-push %p'
max_wal_senders = 4
CONF
as_pg "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w start >/dev/null
pgbr stanza-create >/dev/null

echo "pgbench -i -s $scale" >&2
"$pgbin/pgbench" -i -q -s "$scale" >/dev/null 2>&1
"$pgbin/psql" -XAtc "CHECKPOINT" >/dev/null
db_bytes="$("$pgbin/psql" -XAtc "SELECT sum(pg_database_size(datname)) FROM pg_database")"
db_mb="$(awk -v b="$db_bytes" 'BEGIN { printf "%.0f", b / 1048576 }')"
echo "database: $db_mb MB" >&2

# pgbench in the background with per-second progress; tps_between T0 T1 averages the progress
# lines whose interval ends inside [T0, T1] (seconds since the pgbench start).
start_pgbench() {
  # Clients run as root over the socket (trust auth); only the server and pgBackRest need the
  # postgres user.
  "$pgbin/pgbench" -n -c "$clients" -j 2 -T 3600 -P 1 >/dev/null 2>"$work/pgbench-$1.log" &
  pgbench_pid=$!
  pgbench_t0="$(date +%s.%N)"
  sleep 3  # connected and past its first seconds
}
stop_pgbench() {
  kill -TERM "$pgbench_pid" 2>/dev/null || true
  wait "$pgbench_pid" 2>/dev/null || true
  pgbench_pid=""
}
tps_between() {  # label t0 t1 (epoch seconds)
  awk -v a="$(awk -v x="$2" -v s="$pgbench_t0" 'BEGIN { print x - s }')" \
      -v b="$(awk -v x="$3" -v s="$pgbench_t0" 'BEGIN { print x - s }')" \
    '/^progress:/ { t = $2 + 0; if (t >= a && t <= b) { sum += $4; n++ } }
     END { if (n == 0) print "n/a"; else printf "%.0f", sum / n }' "$work/pgbench-$1.log"
}
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

results=()
record() {  # label backup_s stored_bytes tps restore_s
  results+=("$1 $2 $3 $4 $5")
}

# --- floor
start_pgbench floor
t0="$(now)"
"$pgbin/pg_basebackup" -D - -Ft -X fetch --checkpoint=fast \
  | zstd -3 -T1 -q | openssl enc -aes-256-cbc -pbkdf2 -pass file:"$work/cipher-pass" \
  >"$work/floor.tar.zst.enc"
t1="$(now)"
floor_tps="$(tps_between floor "$t0" "$t1")"
stop_pgbench
mkdir "$work/restore-floor"
r0="$(now)"
openssl enc -d -aes-256-cbc -pbkdf2 -pass file:"$work/cipher-pass" -in "$work/floor.tar.zst.enc" \
  | zstd -d -q | tar -x -C "$work/restore-floor"
r1="$(now)"
record floor "$(seconds "$t0" "$t1")" "$(stat -c %s "$work/floor.tar.zst.enc")" "$floor_tps" \
  "$(seconds "$r0" "$r1")"
rm -rf "$work/restore-floor" "$work/floor.tar.zst.enc"

# --- pgBackRest
start_pgbench pgbackrest
t0="$(now)"
pgbr backup --type=full >/dev/null
t1="$(now)"
pgbr_tps="$(tps_between pgbackrest "$t0" "$t1")"
stop_pgbench
repo_bytes="$(du -sb "$work/pgbackrest-repo/backup" | cut -f1)"
as_pg mkdir "$work/restore-pgbr"
r0="$(now)"
pgbr restore --pg1-path="$work/restore-pgbr" >/dev/null
r1="$(now)"
record pgbackrest "$(seconds "$t0" "$t1")" "$repo_bytes" "$pgbr_tps" "$(seconds "$r0" "$r1")"
rm -rf "$work/restore-pgbr"

# --- dbaas
if [[ "$ours" == 1 ]]; then
  for limit in 0 "$rate_limit"; do
    [[ "$limit" == 0 && "${ran_unthrottled:-0}" == 1 ]] && continue
    label="dbaas"; [[ "$limit" != 0 ]] && label="dbaas@${limit}MBps"
    start_pgbench "$label"
    t0="$(now)"
    "$tool" backup --store "$work/dbaas-store" --key bench.full --compression zstd \
      --rate-limit "$limit" --master-key-file "$work/master.key" \
      -- "$pgbin/pg_basebackup" -D - -Ft -X fetch --checkpoint=fast >"$work/dbaas-$limit.json"
    t1="$(now)"
    tps="$(tps_between "$label" "$t0" "$t1")"
    stop_pgbench
    stored="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stored_bytes"])' "$work/dbaas-$limit.json")"
    mkdir "$work/restore-dbaas"
    r0="$(now)"
    "$tool" restore --store "$work/dbaas-store" --key bench.full \
      --master-key-file "$work/master.key" | tar -x -C "$work/restore-dbaas"
    r1="$(now)"
    record "$label" "$(seconds "$t0" "$t1")" "$stored" "$tps" "$(seconds "$r0" "$r1")"
    rm -rf "$work/restore-dbaas" "$work/dbaas-store"
    [[ "$limit" == 0 ]] && ran_unthrottled=1
  done
fi

# --- baseline TPS without a backup, as long as the longest backup took
longest="$(printf '%s\n' "${results[@]}" | awk '{ if ($2 > m) m = $2 } END { printf "%.0f", m < 10 ? 10 : m }')"
start_pgbench baseline
t0="$(now)"
sleep "$longest"
t1="$(now)"
base_tps="$(tps_between baseline "$t0" "$t1")"
stop_pgbench

echo
echo "pgbench scale $scale ($db_mb MB of database), $clients clients, $(nproc) cores;" \
  "baseline TPS without a backup: $base_tps (over ${longest} s)"
printf '%-16s %9s %9s %11s %9s %10s %10s\n' contender "backup s" "MB/s" "stored MB" "TPS" \
  "TPS vs base" "restore s"
for row in "${results[@]}"; do
  read -r label bs stored tps rs <<<"$row"
  awk -v l="$label" -v bs="$bs" -v st="$stored" -v tps="$tps" -v rs="$rs" -v db="$db_mb" \
    -v base="$base_tps" 'BEGIN {
      rel = (tps == "n/a" || base == "n/a") ? "n/a" : sprintf("%+.0f%%", (tps / base - 1) * 100)
      printf "%-16s %9.1f %9.1f %11.1f %9s %10s %10.1f\n", l, bs, db / bs, st / 1048576, tps, rel, rs }'
done
