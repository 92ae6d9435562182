# Shared functions of deploy/local/up and deploy/local/down. Source it; it runs nothing.
# shellcheck shell=bash

DBAAS_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DBAAS_PG_BIN="${DBAAS_PG_BIN:-/usr/lib/postgresql/15/bin}"
# The unprivileged OS user that runs PostgreSQL when the launcher runs as root.
DBAAS_PG_OS_USER=dbaas
DBAAS_STOP_TIMEOUT="${DBAAS_STOP_TIMEOUT:-20}"

log() { printf 'dbaas: %s\n' "$*"; }
warn() { printf 'dbaas: %s\n' "$*" >&2; }
die() {
  printf 'dbaas: error: %s\n' "$*" >&2
  exit 1
}

# Resolves the state directory: $1 (from --state-dir) > DBAAS_STATE_DIR > <repo>/.dbaas.
# Sets STATE, an absolute path, and the paths of its parts (globals used by up and down).
# shellcheck disable=SC2034
resolve_state_dir() {
  local dir="${1:-${DBAAS_STATE_DIR:-$DBAAS_REPO_ROOT/.dbaas}}"
  [ -n "$dir" ] || die "the state directory is empty (--state-dir or DBAAS_STATE_DIR)"
  STATE="$(realpath -m -- "$dir")"
  PG_DIR="$STATE/pg"
  PG_DATA="$PG_DIR/data"
  NATS_DIR="$STATE/nats"
  LOG_DIR="$STATE/logs"
  SECRETS_DIR="$STATE/secrets"
  RUN_DIR="$STATE/run"
}

# "access-control" -> "ACCESS_CONTROL"
svc_upper() {
  local s="${1//-/_}"
  printf '%s' "${s^^}"
}

# "access-control" -> "access_control" (its database and role name)
svc_db_name() { printf '%s' "${1//-/_}"; }

# Reads deploy/local/services.conf into SVC_NAMES and SVC_PORTS, applying DBAAS_<NAME>_PORT.
read_services() {
  local conf="$DBAAS_REPO_ROOT/deploy/local/services.conf" name port extra var
  SVC_NAMES=()
  SVC_PORTS=()
  [ -r "$conf" ] || die "missing $conf"
  while read -r name port extra; do
    case "$name" in '' | '#'*) continue ;; esac
    [[ "$name" =~ ^[a-z][a-z0-9-]*$ ]] || die "$conf: bad service name '$name'"
    [ -z "$extra" ] || die "$conf: expected '<name> <port>', got '$name $port $extra'"
    var="DBAAS_$(svc_upper "$name")_PORT"
    port="${!var:-$port}"
    valid_port "$port" || die "$var (or $conf) must be a TCP port number 1-65535, got '$port'"
    SVC_NAMES+=("$name")
    SVC_PORTS+=("$port")
  done <"$conf"
}

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# True when something listens on 127.0.0.1:$1 (or on every address).
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# Prints the pid stored in file $1 when that process is alive (not a zombie) and is ours: its
# command line contains $2 or its working directory is the state dir (up starts everything
# there). Fails otherwise, so a pid reused by an unrelated process is not taken for ours.
pid_alive() {
  local file="$1" expect="$2" pid state cmdline cwd
  [ -r "$file" ] || return 1
  pid="$(head -n1 "$file" 2>/dev/null | tr -dc '0-9')"
  [ -n "$pid" ] || return 1
  [ -r "/proc/$pid/stat" ] || return 1
  state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [ "$state" != Z ] || return 1
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)" || cwd=""
  [[ "$cmdline" == *"$expect"* ]] || [ "$cwd" = "$STATE" ] || return 1
  printf '%s' "$pid"
}

proc_gone() {
  local state
  [ -r "/proc/$1/stat" ] || return 0
  state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 0
  [ "$state" = Z ]
}

# Sends SIGTERM to pid $2 (named $1 in messages), waits up to DBAAS_STOP_TIMEOUT seconds,
# then SIGKILLs it.
stop_pid() {
  local name="$1" pid="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < DBAAS_STOP_TIMEOUT * 10; i++)); do
    proc_gone "$pid" && return 0
    sleep 0.1
  done
  warn "$name (pid $pid) did not stop within ${DBAAS_STOP_TIMEOUT}s of SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    proc_gone "$pid" && return 0
    sleep 0.1
  done
  warn "$name (pid $pid) is still there after SIGKILL"
  return 1
}

# Pid of the PostgreSQL postmaster of this state dir, when it runs.
pg_pid() { pid_alive "$PG_DATA/postmaster.pid" postgres; }

# The OS user that owns (and must run) the cluster: the data directory's owner, else
# DBAAS_PG_OS_USER when root, else the current user.
pg_os_user() {
  if [ -d "$PG_DATA" ]; then
    stat -c %U "$PG_DATA"
  elif [ "$(id -u)" -eq 0 ]; then
    printf '%s' "$DBAAS_PG_OS_USER"
  else
    id -un
  fi
}

# Runs a PostgreSQL server program as the cluster's OS user, in its own session so that a
# Ctrl-C on the terminal reaches only the launcher, which then stops things in order.
as_pg_user() {
  local user
  user="$(pg_os_user)"
  if [ "$(id -u)" -eq 0 ] && [ "$user" != root ]; then
    setsid -w runuser -u "$user" -- "$@"
  else
    setsid -w "$@"
  fi
}

pg_stop() {
  local pid
  pid="$(pg_pid)" || return 0
  log "stopping PostgreSQL (pid $pid)"
  if as_pg_user "$DBAAS_PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
    return 0
  fi
  warn "pg_ctl stop -m fast failed; trying -m immediate"
  as_pg_user "$DBAAS_PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 && return 0
  stop_pid postgres "$pid"
}

nats_pid() { pid_alive "$RUN_DIR/nats.pid" nats-server; }

nats_stop() {
  local pid
  pid="$(nats_pid)" || {
    rm -f "$RUN_DIR/nats.pid"
    return 0
  }
  log "stopping NATS (pid $pid)"
  stop_pid nats-server "$pid"
  rm -f "$RUN_DIR/nats.pid"
}

# Stops every service with a pid file in the run dir, in reverse services.conf order (the
# gateway first), then any leftover pid file.
services_stop() {
  local i name pid f
  local -a names=()
  for ((i = ${#SVC_NAMES[@]} - 1; i >= 0; i--)); do names+=("${SVC_NAMES[i]}"); done
  for f in "$RUN_DIR"/*.pid; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .pid)"
    [ "$name" = nats ] && continue
    [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
  done
  for name in "${names[@]}"; do
    f="$RUN_DIR/$name.pid"
    [ -e "$f" ] || continue
    if pid="$(pid_alive "$f" "dbaas-$name")"; then
      log "stopping $name (pid $pid)"
      stop_pid "$name" "$pid" || true
    fi
    rm -f "$f"
  done
}

# Stops services, then NATS, then PostgreSQL. Safe to call when nothing runs.
stop_all() {
  services_stop
  nats_stop
  pg_stop
}

# Lists "<what> pid <pid>" for every live process of this state dir.
running_parts() {
  local f name pid
  if pid="$(pg_pid)"; then printf 'postgres pid %s\n' "$pid"; fi
  if pid="$(nats_pid)"; then printf 'nats-server pid %s\n' "$pid"; fi
  for f in "$RUN_DIR"/*.pid; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .pid)"
    [ "$name" = nats ] && continue
    if pid="$(pid_alive "$f" "dbaas-$name")"; then printf 'dbaas-%s pid %s\n' "$name" "$pid"; fi
  done
}
