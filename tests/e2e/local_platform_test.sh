#!/usr/bin/env bash
# e2e.local_platform: deploy/local/up --detach on a fresh state directory brings up PostgreSQL,
# NATS and every built service (each /readyz green, /metrics answering); a second up on the
# running platform is refused; down leaves no process behind; a later up reuses the state
# (no re-initialisation, same credentials, data kept) and down stops it again.
#
# usage: local_platform_test.sh <build dir>   (ctest passes its build tree)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$(realpath -m -- "${1:?usage: local_platform_test.sh <build dir>}")"
up="$repo/deploy/local/up"
down="$repo/deploy/local/down"
# shellcheck source=tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"
pg_bin=/usr/lib/postgresql/15/bin


state="$(mktemp -d "${TMPDIR:-/tmp}/dbaas-e2e.XXXXXX")"
# PostgreSQL runs as an unprivileged user when we are root; it must be able to enter the dir.
chmod 0755 "$state"
out="$(mktemp)"

trap 'cleanup_platform "$out"' EXIT

export DBAAS_SKIP_INSTALL=1 DBAAS_READY_TIMEOUT="${DBAAS_READY_TIMEOUT:-60}"
export DBAAS_ADMIN_PASSWORD="${DBAAS_ADMIN_PASSWORD:-e2e-Admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}"
pg_port="$(free_port)"
export DBAAS_PG_PORT="$pg_port"
DBAAS_NATS_PORT="$(free_port)"
export DBAAS_NATS_PORT

# Every service listed in services.conf gets a port; those whose binary is built will start.
names=()
ports=()
while read -r name _; do
  case "$name" in '' | '#'*) continue ;; esac
  var="DBAAS_$(tr 'a-z-' 'A-Z_' <<<"$name")_PORT"
  port="$(free_port)"
  export "$var=$port"
  if [ -x "$build_dir/services/$name/dbaas-$name" ]; then
    names+=("$name")
    ports+=("$port")
  fi
done <"$repo/deploy/local/services.conf"
[ ${#names[@]} -gt 0 ] || fail "no service binary (services/<name>/dbaas-<name>) in $build_dir: build first"
echo "services under test: ${names[*]}"

# Instances on a port window of their own (below the ephemeral range, apart from
# e2e.dbaasctl's 17000-19999), so parallel tests never race for one.
DBAAS_INSTANCE_PORT_MIN=$((20000 + (RANDOM % 30) * 100))
DBAAS_INSTANCE_PORT_MAX=$((DBAAS_INSTANCE_PORT_MIN + 99))
export DBAAS_INSTANCE_PORT_MIN DBAAS_INSTANCE_PORT_MAX

up_detached() {
  "$up" --detach --no-build --build-dir "$build_dir" --state-dir "$state" >"$out" 2>&1
}

check_services() {
  local i code body
  for i in "${!names[@]}"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${ports[i]}/readyz")" || true
    [ "$code" = 200 ] || fail "${names[i]}: GET /readyz answered '$code', want 200"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${ports[i]}/livez")" || true
    [ "$code" = 200 ] || fail "${names[i]}: GET /livez answered '$code', want 200"
    body="$(curl -fsS --max-time 5 "http://127.0.0.1:${ports[i]}/metrics")" || fail "${names[i]}: GET /metrics failed"
    grep -qE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? ' <<<"$body" || fail "${names[i]}: /metrics has no sample line"
    echo "ok: ${names[i]} on ${ports[i]}: /readyz 200, /livez 200, /metrics has samples"
  done
}

psql_as() { # <pgpass file> <role> <db> <sql>
  PGPASSFILE="$1" PGCONNECT_TIMEOUT=5 "$pg_bin/psql" -X -q -At -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$pg_port" -U "$2" -d "$3" -c "$4"
}

step "up --detach on a fresh state directory ($state)"
up_detached || { cat "$out"; fail "up --detach exited non-zero"; }
cat "$out"
grep -q 'initialising' "$out" || fail "a fresh state directory was not initialised"
[ "$(stat -c %a "$state/secrets")" = 700 ] || fail "secrets dir is not mode 0700"
check_services

step "every service has its own database, reachable only with its own credentials"
for name in "${names[@]}"; do
  db="${name//-/_}"
  f="$state/secrets/$name.pgpass"
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 0600"
  [ "$(psql_as "$f" "$db" "$db" 'SELECT current_database()')" = "$db" ] || fail "$db cannot log in to its database"
  if psql_as "$f" "$db" postgres 'SELECT 1' >/dev/null 2>&1; then fail "$db can connect to database postgres"; fi
done
if grep -rqF -- "$(cut -d: -f5 "$state/secrets/${names[0]}.pgpass")" "$state/logs" "$out"; then
  fail "a database password appears in the output or the logs"
fi
echo "ok: per-service databases and roles"
psql_as "$state/secrets/postgres.pgpass" postgres postgres "CREATE TABLE e2e_marker (v text); INSERT INTO e2e_marker VALUES ('kept')"
secrets_before="$(cat "$state"/secrets/*.pgpass | sha256sum)"

# An access token of the bootstrap admin (DBAAS_ADMIN_PASSWORD) from access-control on port $1.
ac_admin_token() {
  curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg p "$DBAAS_ADMIN_PASSWORD" '{username:"admin",password:$p}')" \
    "http://127.0.0.1:$1/v1/auth/token" | jq -r '.access_token // empty'
}

tenant_id=""
for i in "${!names[@]}"; do
  [ "${names[i]}" = access-control ] || continue
  step "access-control: log in as admin and create a tenant"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:${ports[i]}/v1/tenants")" || true
  [ "$code" = 401 ] || fail "GET /v1/tenants without a token answered $code, want 401"
  ac_token="$(ac_admin_token "${ports[i]}")"
  [ -n "$ac_token" ] || fail "POST /v1/auth/token as admin returned no access_token"
  if grep -rqF -- "$DBAAS_ADMIN_PASSWORD" "$state/logs"; then
    fail "the admin password appears in the logs"
  fi
  body="$(curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ac_token" \
    -d '{"name":"e2e-tenant","display_name":"E2E tenant","limits":{"max_instances":3,"max_storage_gb":50,"max_backups":10,"max_connections":100}}' \
    -w '\n%{http_code}' "http://127.0.0.1:${ports[i]}/v1/tenants")" || fail "POST /v1/tenants failed"
  code="${body##*$'\n'}"
  body="${body%$'\n'*}"
  [[ "$code" == 20[01] ]] || fail "POST /v1/tenants answered $code: $body"
  tenant_id="$(jq -r '.id // empty' <<<"$body")"
  [ -n "$tenant_id" ] || fail "POST /v1/tenants returned no id: $body"
  echo "ok: created tenant $tenant_id"
done

gateway_port=""
for i in "${!names[@]}"; do [ "${names[i]}" = gateway ] && gateway_port="${ports[i]}"; done
if [ -n "$gateway_port" ]; then
  step "gateway: the single entry authenticates, routes and limits"
  gw="http://127.0.0.1:$gateway_port"
  grep -qF "the platform is ready: $gw" "$out" || fail "up did not print the gateway URL $gw"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$gw/v1/tenants")" || true
  [ "$code" = 401 ] || fail "gateway: GET /v1/tenants without a token answered $code, want 401"
  headers="$(curl -s -D - -o /dev/null --max-time 10 "$gw/v2/tenants")" || true
  grep -q '^HTTP/1.1 404' <<<"$headers" || fail "gateway: GET /v2/tenants is not 404: $headers"
  grep -qi '^RateLimit-Policy:' <<<"$headers" || fail "gateway: no RateLimit-Policy header: $headers"
  body="$(curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg p "$DBAAS_ADMIN_PASSWORD" '{username:"admin",password:$p}')" \
    "$gw/v1/auth/token")" || fail "gateway: POST /v1/auth/token failed"
  token="$(jq -r '.access_token // empty' <<<"$body")"
  [ -n "$token" ] || fail "gateway: login as admin returned no access_token: $body"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $token" "$gw/v1/tenants")" || true
  [ "$code" = 200 ] || fail "gateway: GET /v1/tenants with the admin token answered $code, want 200"
  echo "ok: gateway on $gateway_port: 401 without a token, 404 for /v2, login and an authenticated call"

  step "audit: the calls above are in the hash-chained audit log"
  audit_has() {  # <jq filter over .audit_events> <description>
    local t body
    for ((t = 0; t < 100; t++)); do
      body="$(curl -sS --max-time 10 -H "Authorization: Bearer $token" "$gw/v1/audit-events?page_size=500")" || true
      if jq -e "$1" <<<"$body" >/dev/null 2>&1; then return 0; fi
      sleep 0.2
    done
    fail "audit: no entry for $2 in: $body"
  }
  audit_has '.audit_events | any(.category == "api.call" and .status == 401 and .resource == "/v1/tenants" and .outcome == "denied")' \
    "the anonymous GET /v1/tenants"
  audit_has '.audit_events | any(.category == "auth.login" and .outcome == "success" and .actor.name == "admin")' \
    "the admin login"
  verify="$(curl -sS --max-time 30 -H "Authorization: Bearer $token" "$gw/v1/audit-events:verify")" || true
  [ "$(jq -r .valid <<<"$verify")" = true ] || fail "audit: the chain does not verify: $verify"
  audit_head="$(jq -r .head.seq <<<"$verify")"
  [ "$audit_head" -ge 2 ] || fail "audit: chain head $audit_head, want at least 2 entries"
  code="$(psql_as "$state/secrets/audit-writer.pgpass" dbaas_audit_writer dbaas_audit \
    "SELECT has_table_privilege('audit_events', 'UPDATE') OR has_table_privilege('audit_events', 'DELETE')")"
  [ "$code" = f ] || fail "audit: the writer role may update or delete audit entries"
  echo "ok: calls and logins audited; chain of $audit_head entries verifies; writer cannot change it"

  if [ -x "$build_dir/services/provisioning/dbaas-provisioning" ]; then
    step "provisioning: a PostgreSQL instance through the gateway, used with psql, then deleted"
    api() {  # <method> <path> [json body]
      curl -sS --max-time 30 -X "$1" -H "Authorization: Bearer $token" \
        ${3:+-H 'Content-Type: application/json' -d "$3"} "$gw$2"
    }
    wait_op() {  # <operation id>; prints the final operation
      local t op
      for ((t = 0; t < 600; t++)); do
        op="$(api GET "/v1/operations/$1")"
        case "$(jq -r .status <<<"$op")" in succeeded | failed) printf '%s' "$op"; return 0 ;; esac
        sleep 0.2
      done
      fail "operation $1 did not finish: $op"
    }
    body=""
    for ((t = 0; t < 100; t++)); do  # the new tenant reaches provisioning within moments
      body="$(api POST /v1/instances "$(jq -nc --arg t "$tenant_id" \
        '{tenant_id:$t,name:"e2e-pg",engine:"postgresql",size:"micro",storage_gb:10}')")"
      jq -e '.operation.id' <<<"$body" >/dev/null 2>&1 && break
      sleep 0.2
    done
    op_id="$(jq -r '.operation.id // empty' <<<"$body")"
    [ -n "$op_id" ] || fail "provisioning: create answered $body"
    instance_id="$(jq -r .instance.id <<<"$body")"
    op="$(wait_op "$op_id")"
    [ "$(jq -r .status <<<"$op")" = succeeded ] || fail "provisioning: create failed: $op"
    uri="$(api GET "/v1/instances/$instance_id/credentials" | jq -r .uri)"
    [ "$("$pg_bin/psql" "$uri" -XAtc 'SELECT 40 + 2')" = 42 ] || fail "provisioning: psql could not use $instance_id"
    echo "ok: instance $instance_id created and answered psql over TLS"
    if [ -x "$build_dir/services/backup/dbaas-backup" ]; then
      step "backup: a full backup of it through the gateway, stored encrypted"
      "$pg_bin/psql" "$uri" -XAtqc "CREATE TABLE e2e_fruit (name text); INSERT INTO e2e_fruit VALUES ('quince-e2e')"
      body=""
      for ((t = 0; t < 100; t++)); do  # backup hears of the instance through its events
        body="$(api POST "/v1/instances/$instance_id/backups" '{"type":"full"}')"
        jq -e '.operation.id' <<<"$body" >/dev/null 2>&1 && break
        sleep 0.2
      done
      bop="$(jq -r '.operation.id // empty' <<<"$body")"
      [[ "$bop" == opb_* ]] || fail "backup: create answered $body"
      op="$(wait_op "$bop")"  # /v1/operations/opb_* reaches the backup service
      [ "$(jq -r .status <<<"$op")" = succeeded ] || fail "backup: failed: $op"
      backup="$(api GET "/v1/backups/$(jq -r .backup.id <<<"$body")")"
      [ "$(jq -r .status <<<"$backup")" = available ] || fail "backup: not available: $backup"
      [ "$(jq -r .encrypted <<<"$backup")" = true ] || fail "backup: not encrypted: $backup"
      stored="$state/backups/$(jq -r .storage_location <<<"$backup")"
      [ -s "$stored" ] || fail "backup: no stored object at $stored"
      if grep -q quince-e2e "$stored"; then fail "backup: the stored object holds plaintext"; fi
      echo "ok: full backup $(jq -r .id <<<"$backup") available, verified, $(jq -r .stored_bytes <<<"$backup") bytes encrypted"
    fi
    op="$(wait_op "$(api DELETE "/v1/instances/$instance_id" | jq -r .operation.id)")"
    [ "$(jq -r .status <<<"$op")" = succeeded ] || fail "provisioning: delete failed: $op"
    [ ! -e "$state/runtime/instances/$instance_id" ] || fail "provisioning: $instance_id left files behind"
    echo "ok: instance $instance_id deleted without a trace"
  fi
fi

step "up again while running is refused"
rc=0
up_detached || rc=$?
cat "$out"
[ "$rc" = 3 ] || fail "second up exited $rc, want 3 (already running)"
grep -q 'already running' "$out" || fail "second up did not say the platform is already running"
check_services

step "down stops everything"
"$down" --state-dir "$state" || fail "down exited non-zero"
sleep 0.5
mapfile -t left < <(state_processes)
if [ ${#left[@]} -gt 0 ]; then
  show_processes "${left[@]}"
  fail "processes of $state remain after down"
fi
for i in "${!names[@]}"; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${ports[i]}/livez"; then
    fail "${names[i]} still answers after down"
  fi
done
echo "ok: no process of $state remains"
"$down" --state-dir "$state" >"$out" 2>&1 || { cat "$out"; fail "down with nothing running exited non-zero"; }
grep -q 'nothing' "$out" || fail "down with nothing running did not say so"

step "up again reuses the state"
up_detached || { cat "$out"; fail "up --detach on an existing state exited non-zero"; }
cat "$out"
if grep -q 'initialising' "$out"; then fail "existing state was initialised again"; fi
[ "$(cat "$state"/secrets/*.pgpass | sha256sum)" = "$secrets_before" ] || fail "credentials changed across restarts"
[ "$(psql_as "$state/secrets/postgres.pgpass" postgres postgres 'SELECT v FROM e2e_marker')" = kept ] ||
  fail "data written before the restart is gone"
check_services
if [ -n "$tenant_id" ]; then
  for i in "${!names[@]}"; do
    [ "${names[i]}" = access-control ] || continue
    ac_token="$(ac_admin_token "${ports[i]}")"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ac_token" \
      "http://127.0.0.1:${ports[i]}/v1/tenants/$tenant_id")" || true
    [ "$code" = 200 ] || fail "GET /v1/tenants/$tenant_id after restart answered $code, want 200"
    echo "ok: tenant $tenant_id survived the restart"
  done
fi
if [ -n "${audit_head:-}" ]; then
  token="$(curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' \
    -d "$(jq -nc --arg p "$DBAAS_ADMIN_PASSWORD" '{username:"admin",password:$p}')" \
    "$gw/v1/auth/token" | jq -r '.access_token // empty')"
  verify="$(curl -sS --max-time 30 -H "Authorization: Bearer $token" "$gw/v1/audit-events:verify")" || true
  [ "$(jq -r .valid <<<"$verify")" = true ] || fail "audit: the chain does not verify after the restart: $verify"
  [ "$(jq -r .head.seq <<<"$verify")" -ge "$audit_head" ] || fail "audit: entries were lost across the restart: $verify"
  echo "ok: the audit chain survived the restart and still verifies"
fi

step "down again"
"$down" --state-dir "$state" || fail "down exited non-zero"
sleep 0.5
mapfile -t left < <(state_processes)
if [ ${#left[@]} -gt 0 ]; then
  show_processes "${left[@]}"
  fail "processes of $state remain after the second down"
fi
echo
echo "PASS: e2e.local_platform"
