#!/usr/bin/env bash
# Runs in the `_holdfast-watchdog` session of the private tmux server and keeps one holdfast daemon
# alive: a daemon it started is its child, so its death is noticed at once; a daemon started some
# other way is checked every half second through the pid file. The daemon's lease, not this
# script, guarantees there is only ever one. Killing this session (daemon stop) ends the watchdog;
# the daemon ignores the hangup and is stopped on its own.
#
# usage: watchdog.sh HOME NODE CLI
export HOLDFAST_HOME=$1
node=$2
cli=$3
pidfile="$HOLDFAST_HOME/daemon.pid"
log="$HOLDFAST_HOME/daemon.log"

# It ends when the store is gone: a deleted home is not brought back.
while [ -f "$HOLDFAST_HOME/holdfast.db" ]; do
  pid=$(cat "$pidfile" 2>/dev/null)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    # The shell's >> follows links: one planted at the log since holdfast made it ends the watchdog.
    if [ -L "$log" ]; then echo "holdfast: refusing $log: it is a symbolic link" >&2; exit 1; fi
    HOLDFAST_WATCHDOG_CHILD=1 "$node" "$cli" daemon run >>"$log" 2>&1 </dev/null
    continue
  fi
  sleep 0.5
done
