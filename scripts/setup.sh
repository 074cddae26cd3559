#!/usr/bin/env bash
# One command from a fresh clone: installs what is missing (tmux, perl and chromium via apt-get, npm dependencies),
# builds holdfast, puts `holdfast` on PATH when it can, and starts the supervised demo task.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

# perl runs each pane's process (libexec/launch.pl); it is on every Debian system, but not on
# every image. chromium is for the dashboard's browser tests (`npm test`), never downloaded by npm.
missing=()
for tool in tmux perl chromium; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]}"
  sudo=''
  [ "$(id -u)" -ne 0 ] && sudo='sudo'
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"
fi
echo "== npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "== build"
npm run --silent build

# `npm link` points the global `holdfast` at this checkout: say so when it does, and never take it
# from another checkout (or an installed copy) without the user's word.
holdfast="$root/bin/holdfast.js"
global=$(npm prefix -g 2>/dev/null || true)
link="$global/lib/node_modules/holdfast"
if [ -z "$global" ]; then
  echo "== npm has no global prefix: run holdfast as $holdfast"
elif [ -e "$link" ] && [ "$(readlink -f "$link")" = "$root" ]; then
  echo "== the global holdfast already points at this checkout ($root)"
elif [ -e "$link" ]; then
  echo "== the global holdfast points at $(readlink -f "$link"), not this checkout: left as it is"
  echo "   to point it here instead: (cd $root && npm link)"
else
  was=''
  [ -L "$link" ] && was=" (it pointed at $(readlink "$link"), which is gone)"
  if npm link --silent >/dev/null 2>&1; then
    echo "== npm link: the global holdfast now points at this checkout ($root)$was"
  else
    echo "== npm link failed: run holdfast as $holdfast"
  fi
fi
if [ "$(readlink -f "$(command -v holdfast 2>/dev/null || echo /nonexistent)")" = "$(readlink -f "$root/bin/holdfast.js")" ]; then
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
  $holdfast doctor          # what holdfast needs of this machine, checked (below)
MSG
# Last, so its verdict is what the user reads: warnings (no agent CLI yet) keep the exit 0.
echo
echo "== holdfast doctor"
"$root/bin/holdfast.js" doctor
