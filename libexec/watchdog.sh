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
# the script stays, keeping a daemon alive, until the server answers again (the daemon starts a
# fresh one with a new watchdog); then, or at once in the other cases (the server still answers),
# it ends.
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

# It ends when the store is gone: a deleted home is not brought back.
while [ -f "$HOLDFAST_HOME/holdfast.db" ]; do
  # list-sessions never starts a server: it only says whether one answers on the socket.
  if [ "$orphaned" = 1 ] && tmux -S "$socket" list-sessions >/dev/null 2>&1; then exit 0; fi
  # The daemon this script started counts before it has written its pid file.
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    sleep 0.2
    continue
  fi
  pid=$(cat "$pidfile" 2>/dev/null)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    # The shell's >> follows links: one planted at the log since holdfast made it ends the watchdog.
    if [ -L "$log" ]; then echo "holdfast: refusing $log: it is a symbolic link" >&2; exit 1; fi
    HOLDFAST_WATCHDOG_CHILD=1 "$node" "$cli" daemon run >>"$log" 2>&1 </dev/null &
    child=$!
    # Returns when the daemon dies, or at once on a hangup (a trapped signal ends `wait`).
    [ "$orphaned" = 1 ] || wait "$child"
    continue
  fi
  sleep 0.5
done
