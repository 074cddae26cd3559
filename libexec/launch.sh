#!/usr/bin/env bash
# Runs first in every holdfast pane where perl is missing (libexec/launch.pl is the pane's process
# wherever perl is, and does more: it waits for its task and for tmux to have read all of it), then
# execs the task. It gives the task the environment of the `holdfast run` that created it, read
# from a 0600 file so that no value (API keys…) is ever in argv.
#
# usage: launch.sh DIR ENV_FILE STDIN_FILE UMASK [NAME=VALUE...] -- COMMAND [ARG...]
#   DIR         the working directory. It comes as an argument because tmux expands formats in
#               `-c` (`#(…)` runs a command there), not in a pane's command arguments
#   ENV_FILE    NUL-separated NAME=VALUE entries
#   STDIN_FILE  a file to feed on stdin (an agent's prompt), or - to keep the terminal
#   UMASK       the creator's umask (holdfast itself runs with 077, the task should not)
#   NAME=VALUE  holdfast's own variables for this run (HOLDFAST_TASK, HOLDFAST_RUN, …): never secrets
dir=$1
env_file=$2
stdin_file=$3
umask "$4"
shift 4

# Drop what the tmux server's environment put here; keep only the pane's own terminal variables.
for name in $(compgen -e); do
  case $name in
    TERM | TMUX | TMUX_PANE) ;;
    *) unset "$name" 2>/dev/null ;;
  esac
done
# `export "NAME=VALUE"` assigns the value as text: nothing in it is evaluated. Entries that are not
# plain identifiers (exported bash functions) are refused by export and so skipped.
while IFS= read -r -d '' entry; do
  export "$entry" 2>/dev/null
done <"$env_file"

while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  export "$1"
  shift
done
shift

# After the environment, so PWD names this directory, not the creator's. An absolute path never
# consults CDPATH. A directory that has gone is an error, not a run somewhere else.
if ! cd -- "$dir" 2>/dev/null; then
  echo "holdfast: cannot enter the working directory $dir" >&2
  exit 1
fi

# tmux can miss its child's exit and then neither reaps it nor runs pane-died until some other
# child of the server exits (docs/architecture.md, "Missed reaps"). A watcher in a session of its
# own (a stop signals the task's process group, never it) reads a pipe whose write end only the
# task and what it starts hold. When the last of them is gone it sends the tmux server (this
# launcher's parent) SIGCHLD a few times, so the server reaps, and appends `_gone|<task>|<run n>` to
# the events file, so the daemon looks at every pane soon even if tmux reports nothing (a killed
# session) and need not when tmux's hook has already said how the run ended.
if command -v setsid >/dev/null 2>&1; then
  exec 9> >(exec setsid sh -c 'trap "" INT TERM HUP QUIT
while read -r _; do :; done
kill -s CHLD "$1" 2>/dev/null
for d in 0.002 0.003; do sleep "$d"; kill -s CHLD "$1" 2>/dev/null || exit 0; done
[ -n "$2" ] && printf "_gone|%s|%s||0\n" "$3" "$4" | dd of="$2" oflag=append,nofollow conv=notrunc,nocreat status=none
for d in 0.005 0.01 0.05 0.2 1; do sleep "$d"; kill -s CHLD "$1" 2>/dev/null || exit 0; done' \
    _ "$PPID" "${HOLDFAST_HOME:+$HOLDFAST_HOME/pane-events.log}" "${HOLDFAST_TASK:-}" "${HOLDFAST_RUN:-}" \
    >/dev/null 2>&1)
fi

# The task takes this process's place, and the last bytes of a fast exit can be lost under load
# (launch.pl, which waits for tmux to have read them, says why). It will have this process's pid:
# say so, as launch.pl does for its child.
if [ -n "${HOLDFAST_HOME:-}" ]; then
  printf "_pid|%s|%s|%s|0\n" "${HOLDFAST_TASK:-}" "${HOLDFAST_RUN:-}" "$$" |
    dd of="$HOLDFAST_HOME/pane-events.log" oflag=append,nofollow conv=notrunc,nocreat status=none 2>/dev/null
fi
if [ "$stdin_file" != "-" ]; then
  exec "$@" <"$stdin_file"
fi
exec "$@"
