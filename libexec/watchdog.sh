#!/usr/bin/env bash
# Runs in the `_holdfast-watchdog` session of the private tmux server and keeps one holdfast daemon
# alive: a daemon it started is its child, waited for, so its death is noticed at once; a daemon
# started some other way is checked every half second through the pid file. The daemon's lease, not this
# script, guarantees there is only ever one.
#
# Who brings back whom (docs/architecture.md, "The watchdog"): this script brings back the daemon;
# the daemon brings back this script and the tmux server; tmux's pane-died hook respawns this script
# when a signal kills it. A hangup means this pane is gone: the session was killed (daemon stop), the
# pane respawned over it, or the whole tmux server died. In the last case nothing else is left, so
# the script stays, keeping a daemon alive, until a new server answers with a live watchdog of its
# own (the daemon starts one); then, or at once in the other cases (the server this pane ran in still
# answers), it ends. A new server without a watchdog (one a task's launch started) is not enough:
# until the daemon has put a watchdog there, this script is all that would bring a killed daemon back.
#
# usage: watchdog.sh HOME NODE CLI
export HOLDFAST_HOME=$1
node=$2
cli=$3
pidfile="$HOLDFAST_HOME/daemon.pid"
log="$HOLDFAST_HOME/daemon.log"
socket="$HOLDFAST_HOME/tmux.sock"
orphaned=0
child=
trap 'orphaned=1' HUP
# V8's optimizing compilers cost the daemon some 5 MiB of its resident memory and buy it little: its
# work is short handlers between waits (issue 14, docs/architecture.md "The watchdog"). A flag this
# node does not know would stop it from starting ("bad option"), so the daemon runs without them
# unless this node takes them; asked once, here, not on each restart.
node_flags=(--no-turbofan --no-maglev)
"$node" "${node_flags[@]}" -e 0 >/dev/null 2>&1 || node_flags=()
# The server this pane runs in: tmux sets TMUX to "socket,server pid,session" (the launcher keeps it).
own_server=${TMUX#*,}
own_server=${own_server%%,*}

# Whether this script may end after a hangup: the server on the socket is the one it ran in (its
# session was killed or its pane respawned), or another one whose watchdog pane runs.
replaced() {
  local server
  server=$(tmux -S "$socket" display-message -p '#{pid}' 2>/dev/null) || return 1
  [ -n "$server" ] || return 1
  if [ -z "$own_server" ] || [ "$server" = "$own_server" ]; then return 0; fi
  [ "$(tmux -S "$socket" display-message -p -t "=_holdfast-watchdog:" '#{pane_dead}' 2>/dev/null)" = 0 ]
}

# It ends when the store is gone: a deleted home is not brought back.
while [ -f "$HOLDFAST_HOME/holdfast.db" ]; do
  # display-message never starts a server: it only asks the one that answers on the socket.
  if [ "$orphaned" = 1 ] && replaced; then exit 0; fi
  # The daemon this script started counts before it has written its pid file.
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    sleep 0.2
    continue
  fi
  pid=$(cat "$pidfile" 2>/dev/null)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    # The shell's >> follows links: one planted at the log since holdfast made it ends the watchdog.
    if [ -L "$log" ]; then echo "holdfast: refusing $log: it is a symbolic link" >&2; exit 1; fi
    HOLDFAST_WATCHDOG_CHILD=1 "$node" "${node_flags[@]}" "$cli" daemon run >>"$log" 2>&1 </dev/null &
    child=$!
    # Returns when the daemon dies, or at once on a hangup (a trapped signal ends `wait`).
    [ "$orphaned" = 1 ] || wait "$child"
    continue
  fi
  sleep 0.5
done
