# Shared by the build scripts (sourced): log/die/ERR trap with the script's NAME prefix, stale().
# Usage: NAME=build; source scripts/lib.sh
log() { echo "$NAME: $*" >&2; }
die() { echo "$NAME: error: $*" >&2; exit 1; }
trap 'echo "$NAME: error: line $LINENO: \`$BASH_COMMAND\` failed (exit $?)" >&2' ERR

# True if $1 is missing or any file under the other arguments is newer than it.
stale() {
  local out=$1; shift
  [ -e "$out" ] || return 0
  [ -n "$(find "$@" -newer "$out" -type f -print -quit 2>/dev/null)" ]
}
