#!/usr/bin/env bash
# e2e.dbaasctl: the command-line client against the whole local platform (deploy/local/up
# --detach on a fresh state directory): refused before login (exit 4), login with the password
# on stdin (config 0600, no token printed), tenant create, a PostgreSQL instance created with
# --wait and used with psql through the URI `credentials` prints, list as JSON, an expired
# access token renewed with the refresh token, error paths (unknown instance exit 3 with the
# error printed, invalid size exit 1 with details, wrong password exit 4), delete --wait.
# Always runs deploy/local/down and removes its temporary directory.
#
# usage: dbaasctl_test.sh <build dir>   (ctest passes its build tree)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$(realpath -m -- "${1:?usage: dbaasctl_test.sh <build dir>}")"
up="$repo/deploy/local/up"
down="$repo/deploy/local/down"
# shellcheck source=tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"
pg_bin=/usr/lib/postgresql/15/bin
ctl="$build_dir/tools/dbaasctl/dbaasctl"

for name in gateway access-control provisioning; do
  [ -x "$build_dir/services/$name/dbaas-$name" ] ||
    fail "services/$name/dbaas-$name is not built in $build_dir: build it first (ninja dbaas-$name)"
done
[ -x "$ctl" ] || fail "tools/dbaasctl/dbaasctl is not built in $build_dir: build it first (ninja dbaasctl)"
command -v jq >/dev/null || fail "jq is missing: apt-get install jq"
[ -x "$pg_bin/psql" ] || fail "psql is missing: apt-get install postgresql-client-15"
command -v mariadb >/dev/null || fail "the mariadb client is missing: apt-get install mariadb-client"

state="$(mktemp -d "${TMPDIR:-/tmp}/dbaas-e2e-ctl.XXXXXX")"
# PostgreSQL runs as an unprivileged user when we are root; it must be able to enter the dir.
chmod 0755 "$state"
work="$(mktemp -d "${TMPDIR:-/tmp}/dbaasctl-e2e.XXXXXX")"
out="$work/out"
errf="$work/err"

trap 'cleanup_platform "$work"' EXIT

export DBAAS_SKIP_INSTALL=1 DBAAS_READY_TIMEOUT="${DBAAS_READY_TIMEOUT:-60}"
export DBAAS_ADMIN_PASSWORD="${DBAAS_ADMIN_PASSWORD:-e2e-Admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}"
DBAAS_PG_PORT="$(free_port)"
DBAAS_NATS_PORT="$(free_port)"
export DBAAS_PG_PORT DBAAS_NATS_PORT
gateway_port=""
while read -r name _; do
  case "$name" in '' | '#'*) continue ;; esac
  var="DBAAS_$(tr 'a-z-' 'A-Z_' <<<"$name")_PORT"
  port="$(free_port)"
  export "$var=$port"
  [ "$name" = gateway ] && gateway_port="$port"
done <"$repo/deploy/local/services.conf"
gw="http://127.0.0.1:$gateway_port"
# Instances get ports from a window of their own, away from the default 16000-16999 that another
# platform on this host (e2e.local_platform running alongside under ctest -j) would use.
DBAAS_INSTANCE_PORT_MIN=$((17000 + (RANDOM % 29) * 100))
DBAAS_INSTANCE_PORT_MAX=$((DBAAS_INSTANCE_PORT_MIN + 99))
export DBAAS_INSTANCE_PORT_MIN DBAAS_INSTANCE_PORT_MAX

# dbaasctl's config lives in the temporary directory; nothing of the caller's is touched.
export DBAASCTL_CONFIG="$work/ctl/config.json"
unset DBAASCTL_OUTPUT DBAASCTL_URL

# Runs dbaasctl, stdout to $out, stderr to $errf; sets $rc; never fails the script by itself.
ctl() {
  rc=0
  "$ctl" "$@" >"$out" 2>"$errf" || rc=$?
}
expect_rc() { # <want> <what>
  [ "$rc" = "$1" ] || fail "$2: exit code $rc, want $1; stdout: $(cat "$out"); stderr: $(cat "$errf")"
}

step "up --detach on a fresh state directory ($state)"
"$up" --detach --no-build --build-dir "$build_dir" --state-dir "$state" >"$out" 2>&1 ||
  { cat "$out"; fail "up --detach exited non-zero"; }
grep -qF "the platform is ready: $gw" "$out" || { cat "$out"; fail "up did not print the gateway URL $gw"; }

step "before login every command is refused with exit 4"
ctl instance list
expect_rc 4 "instance list before login"
grep -q 'not logged in' "$errf" || fail "no 'not logged in' message: $(cat "$errf")"
echo "ok: not logged in -> exit 4: $(cat "$errf")"

step "login with a wrong password exits 4 and stores nothing"
rc=0
printf 'wrong-password\n' | "$ctl" login --url "$gw" --username admin --password-stdin >"$out" 2>"$errf" || rc=$?
expect_rc 4 "login with a wrong password"
grep -q 'UNAUTHENTICATED' "$errf" || fail "wrong password: no UNAUTHENTICATED in: $(cat "$errf")"
[ ! -e "$DBAASCTL_CONFIG" ] || fail "a failed login wrote $DBAASCTL_CONFIG"
echo "ok: $(head -n1 "$errf")"

step "login with the password on stdin"
rc=0
printf '%s\n' "$DBAAS_ADMIN_PASSWORD" |
  "$ctl" login --url "$gw" --username admin --password-stdin --output table >"$out" 2>"$errf" || rc=$?
expect_rc 0 "login"
cat "$out"
[ "$(stat -c %a "$DBAASCTL_CONFIG")" = 600 ] || fail "config file is not mode 0600"
[ "$(stat -c %a "$(dirname "$DBAASCTL_CONFIG")")" = 700 ] || fail "config dir is not mode 0700"
access="$(jq -r .access_token "$DBAASCTL_CONFIG")"
refresh="$(jq -r .refresh_token "$DBAASCTL_CONFIG")"
[[ -n "$access" && "$access" != null ]] || fail "no access token stored"
[[ -n "$refresh" && "$refresh" != null ]] || fail "no refresh token stored"
if grep -qF -- "$access" "$out" "$errf" || grep -qF -- "$refresh" "$out" "$errf" ||
  grep -qF -- "$DBAAS_ADMIN_PASSWORD" "$out" "$errf"; then
  fail "login printed a token or the password"
fi
echo "ok: logged in; config 0600 in a 0700 dir; no secret printed"

step "tenant create"
ctl tenant create e2e-ctl --display-name "dbaasctl e2e" --max-instances 3 --output json
expect_rc 0 "tenant create"
tenant_id="$(jq -r .id "$out")"
[[ "$tenant_id" == ten_* ]] || fail "tenant create printed no id: $(cat "$out")"
ctl tenant list --all --output json
expect_rc 0 "tenant list"
jq -e --arg id "$tenant_id" '.tenants | any(.id == $id)' "$out" >/dev/null ||
  fail "tenant list misses $tenant_id: $(cat "$out")"
echo "ok: tenant $tenant_id"

step "invalid size: exit 1 with the details printed"
ctl instance create e2e-bad --engine postgresql --size enormous --storage-gb 10 --tenant "$tenant_id"
expect_rc 1 "instance create with an invalid size"
cat "$errf"
grep -q '^error: INVALID_ARGUMENT (HTTP 400)' "$errf" || fail "no INVALID_ARGUMENT headline"
grep -q '^  size: ' "$errf" || fail "the size problem is not among the details"

step "instance create --wait (postgresql, micro, 10 GiB)"
# The new tenant reaches provisioning through an event: allow it a few moments.
for ((t = 0; t < 50; t++)); do
  ctl instance create e2e-pg --engine postgresql --size micro --storage-gb 10 \
    --tenant e2e-ctl --label team=e2e --wait --timeout 5m --output json
  case "$rc" in 1 | 3 | 5) sleep 0.2 ;; *) break ;; esac # refused before anything was made
done
cat "$errf"
expect_rc 0 "instance create --wait"
instance_id="$(jq -r .id "$out")"
[[ "$instance_id" == ins_* ]] || fail "instance create printed no instance: $(cat "$out")"
[ "$(jq -r .status "$out")" = running ] || fail "created instance is not running: $(cat "$out")"
grep -q 'succeeded' "$errf" || fail "the progress display never said succeeded"
echo "ok: $instance_id running"

step "instance get"
ctl instance get "$instance_id" --output json
expect_rc 0 "instance get"
[ "$(jq -r .status "$out")" = running ] || fail "instance get: not running: $(cat "$out")"
[ "$(jq -r .labels.team "$out")" = e2e ] || fail "instance get: label lost: $(cat "$out")"
ctl instance get "$instance_id" --output table
expect_rc 0 "instance get --output table"
cat "$out"
grep -qE '^status: +running$' "$out" || fail "table output has no 'status: running' line"

step "credentials, then psql with the URI"
ctl instance credentials "$instance_id" --output json
expect_rc 0 "instance credentials"
uri="$(jq -r .uri "$out")"
[ "$(PGCONNECT_TIMEOUT=10 "$pg_bin/psql" "$uri" -XAtc 'select 1')" = 1 ] || fail "psql could not use $uri"
echo "ok: psql answered through the URI dbaasctl printed"

step "instance update, database and user commands inside the instance"
ctl instance update "$instance_id" --protection on --label team=e2e --output json
expect_rc 0 "instance update --protection on"
jq -e '.deletion_protection == true and .labels.team == "e2e"' "$out" >/dev/null ||
  fail "instance update did not apply at once: $(cat "$out")"
ctl instance update "$instance_id" --param work_mem=8MB --wait --output json
expect_rc 0 "instance update --param --wait"
[ "$(PGCONNECT_TIMEOUT=10 "$pg_bin/psql" "$uri" -XAtc 'show work_mem')" = 8MB ] ||
  fail "work_mem was not applied"
ctl instance update "$instance_id" --protection off --output json
expect_rc 0 "instance update --protection off"
ctl database create "$instance_id" appdb --output json
expect_rc 0 "database create"
ctl database list "$instance_id" --output table
expect_rc 0 "database list"
grep -qx appdb "$out" || fail "database list misses appdb: $(cat "$out")"
ctl user create "$instance_id" appuser --database appdb --output json
expect_rc 0 "user create"
user_uri="$(jq -r .uri "$out")"
[ "$(PGCONNECT_TIMEOUT=10 "$pg_bin/psql" "$user_uri" -XAtc 'select current_user')" = appuser ] ||
  fail "the new user could not log in with the URI dbaasctl printed"
ctl user rotate-password "$instance_id" appuser --output json
expect_rc 0 "user rotate-password"
PGCONNECT_TIMEOUT=10 "$pg_bin/psql" "$user_uri" -XAtc 'select 1' >/dev/null 2>&1 &&
  fail "the old password still works after rotate-password"
ctl user create "$instance_id" 'x"; drop' --output json
expect_rc 1 "user create with a hostile name"
ctl user delete "$instance_id" appuser
expect_rc 0 "user delete"
ctl database delete "$instance_id" appdb
expect_rc 0 "database delete"
echo "ok: update (at once and by operation), databases and users through dbaasctl"

step "instance list --output json | jq"
ctl instance list --all --output json
expect_rc 0 "instance list"
jq -e --arg id "$instance_id" '.instances | any(.id == $id and .status == "running")' "$out" >/dev/null ||
  fail "instance list misses $instance_id: $(cat "$out")"
ctl instance list --engine postgresql --status running --tenant "$tenant_id" --output table
expect_rc 0 "instance list --output table"
cat "$out"
grep -q "^$instance_id " "$out" || fail "table list misses $instance_id"

step "an expired access token is renewed with the refresh token"
jq '.access_token = "expired.not.valid"' "$DBAASCTL_CONFIG" >"$work/cfg"
cat "$work/cfg" >"$DBAASCTL_CONFIG"
ctl instance get "$instance_id" --output json
expect_rc 0 "instance get with a bad access token"
new_access="$(jq -r .access_token "$DBAASCTL_CONFIG")"
new_refresh="$(jq -r .refresh_token "$DBAASCTL_CONFIG")"
[ "$new_access" != "expired.not.valid" ] || fail "the access token was not renewed"
[ "$new_refresh" != "$refresh" ] || fail "the refresh token was not rotated"
[ "$(stat -c %a "$DBAASCTL_CONFIG")" = 600 ] || fail "config file lost mode 0600 on refresh"
echo "ok: renewed and saved"

step "unknown instance: exit 3 with the error printed"
ctl instance get ins_00000000000000000000000000
expect_rc 3 "instance get of an unknown instance"
cat "$errf"
grep -q '^error: NOT_FOUND (HTTP 404)' "$errf" || fail "no NOT_FOUND error printed"

step "instance restart --wait, operation get"
ctl instance restart "$instance_id" --wait --output json
expect_rc 0 "instance restart --wait"
op_id="$(jq -r .id "$out")"
[ "$(jq -r .status "$out")" = succeeded ] || fail "restart: $(cat "$out")"
ctl operation get "$op_id" --output json
expect_rc 0 "operation get"
[ "$(jq -r .type "$out")" = restart ] || fail "operation get: $(cat "$out")"

step "instance delete --wait"
ctl instance delete "$instance_id" --wait --output json
expect_rc 0 "instance delete --wait"
[ "$(jq -r .status "$out")" = succeeded ] || fail "delete: $(cat "$out")"
[ ! -e "$state/runtime/instances/$instance_id" ] || fail "$instance_id left files behind"
ctl instance get "$instance_id"
expect_rc 3 "instance get after delete"
echo "ok: deleted; get now exits 3"

step "a MySQL instance: create --wait, then the mariadb client with its credentials, delete"
ctl instance create e2e-my --engine mysql --size micro --storage-gb 10 --tenant e2e-ctl \
  --wait --timeout 5m --output json
expect_rc 0 "instance create --engine mysql --wait"
my_id="$(jq -r .id "$out")"
[ "$(jq -r .status "$out")" = running ] || fail "mysql instance is not running: $(cat "$out")"
ctl instance credentials "$my_id" --output json
expect_rc 0 "instance credentials (mysql)"
my_uri="$(jq -r .uri "$out")"
[[ "$my_uri" == mysql://* ]] || fail "mysql credentials give no mysql:// URI: $my_uri"
jq -r .ca_pem "$out" >"$work/my-ca.pem"
# host and port from the URI the API returned; the password only in the environment.
hostport="${my_uri#*@}"; hostport="${hostport%%/*}"
answer="$(MYSQL_PWD="$(jq -r .password "$out")" mariadb -h "${hostport%:*}" -P "${hostport##*:}" \
  -u "$(jq -r .username "$out")" --ssl --ssl-ca="$work/my-ca.pem" --ssl-verify-server-cert \
  -N -e 'SELECT 40 + 2')" || fail "mariadb could not connect to $my_id"
[ "$answer" = 42 ] || fail "mariadb answered '$answer'"
echo "ok: $my_id answered the mariadb client over verified TLS"
ctl instance delete "$my_id" --wait --output json
expect_rc 0 "instance delete --wait (mysql)"
[ ! -e "$state/runtime/instances/$my_id" ] || fail "$my_id left files behind"

step "logout"
ctl logout
expect_rc 0 "logout"
ctl instance list
expect_rc 4 "instance list after logout"

echo
echo "PASS: e2e.dbaasctl"
