#!/usr/bin/env bash
# The quick-start demo: a "long job" that reports progress, crashes once half-way through, and
# finishes after holdfast restarts it, continuing where it left off (its progress is in a file).
state="${HOLDFAST_HOME:-/tmp}/demo-progress"
step=$(cat "$state" 2>/dev/null || echo 0)
echo "demo job, run ${HOLDFAST_RUN:-?}: resuming at step $step of 30"
while [ "$step" -lt 30 ]; do
  step=$((step + 1))
  echo "$step" >"$state"
  printf 'step %2d/30  %s\n' "$step" "$(date +%T)"
  if [ "$step" -eq 12 ] && [ "${HOLDFAST_RUN:-1}" = 1 ]; then
    echo "simulated crash at step 12 (exit 1): holdfast will restart me" >&2
    exit 1
  fi
  sleep 1
done
rm -f "$state"
echo "demo job finished"
