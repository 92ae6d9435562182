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
