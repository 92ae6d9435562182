# Helpers shared by the e2e scripts; source it after setting $state (the platform's state dir).
# shellcheck shell=bash disable=SC2154  # $state is set by the sourcing script

step() { printf '\n=== %s\n' "$*"; }

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# Pids of live (non-zombie) processes that belong to $state: started there (cwd), naming it on
# their command line, or carrying it in DBAAS_STATE_DIR.
state_processes() {
  local p pid st cwd
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    [ "$pid" != "$$" ] || continue
    st="$(sed -E 's/^.*\) (.).*$/\1/' "$p/stat" 2>/dev/null)" || continue
    [ "$st" != Z ] || continue
    cwd="$(readlink "$p/cwd" 2>/dev/null)" || cwd=""
    if [[ "$cwd" == "$state" || "$cwd" == "$state"/* ]] ||
      tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -qF -- "$state" ||
      tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF -- "DBAAS_STATE_DIR=$state"; then
      printf '%s\n' "$pid"
    fi
  done
}

show_processes() {
  local pid
  for pid in "$@"; do
    printf '  pid %s: %s\n' "$pid" "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
  done
}

# The EXIT trap of an e2e script: `trap 'cleanup_platform "$work"' EXIT`. Prints the tails of
# the platform's logs when the script failed, stops the platform in $state ($down), kills what
# is left of it, removes $state and the given paths, and exits with the script's status.
cleanup_platform() {
  local rc=$? pids f
  if [ "$rc" -ne 0 ] && [ -d "$state/logs" ]; then
    for f in "$state"/logs/*.log; do
      [ -e "$f" ] || continue
      case "$f" in */initdb.log | */build.log) continue ;; esac
      printf '\n--- last lines of %s\n' "$f"
      tail -n 25 "$f" || true
    done
  fi
  "$down" --state-dir "$state" >/dev/null 2>&1 || true
  mapfile -t pids < <(state_processes)
  if [ ${#pids[@]} -gt 0 ]; then
    echo "cleanup: killing leftovers of $state:"
    show_processes "${pids[@]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$state" "$@"
  exit "$rc"
}

# Ports: random, unused, distinct, below the usual ephemeral range.
declare -A taken=()
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
    [ -z "${taken[$p]:-}" ] || continue
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || continue
    taken[$p]=1
    printf '%s' "$p"
    return 0
  done
  fail "no free port found"
}
