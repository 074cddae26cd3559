#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing (tmux via apt-get, npm dependencies),
# builds holdfast, puts `holdfast` on PATH when it can, and starts the supervised demo task.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v tmux >/dev/null 2>&1; then
  echo "== installing tmux"
  sudo=''
  [ "$(id -u)" -ne 0 ] && sudo='sudo'
  $sudo apt-get update -qq && $sudo apt-get install -y -qq tmux
fi
echo "== npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "== build"
npm run --silent build

holdfast="$root/bin/holdfast.js"
if npm link --silent >/dev/null 2>&1 && command -v holdfast >/dev/null 2>&1; then
  holdfast=holdfast
fi

# A second run of setup replaces the demo instead of failing on the name.
"$root/bin/holdfast.js" rm --force demo >/dev/null 2>&1 || true
"$root/bin/holdfast.js" run --name demo --restart on-failure --backoff 2s -- "$root/examples/demo.sh"
cat <<MSG

holdfast is set up and supervising a demo task that crashes once and is restarted.
Next:
  $holdfast ls              # the task table
  $holdfast follow demo     # its output, across the restart, until it finishes
  $holdfast events demo     # the journal: started, exited, backoff, restarted, succeeded
  $holdfast daemon status   # the supervisor
MSG
