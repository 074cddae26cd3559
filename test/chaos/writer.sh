#!/usr/bin/env bash
# A chaos task: numbered lines to stdout and, once written, the same line to a side file, so every
# line in the side file was handed to the terminal before and must be in its run's log.
# usage: writer.sh SIDE_FILE DELAY_SECONDS
side=$1
delay=${2:-0.1}
# A read that times out on a pipe nobody writes: a pause without starting a `sleep` per line.
exec {pause}<> <(:)
n=0
while :; do
  n=$((n + 1))
  line="L ${HOLDFAST_RUN} $n ${EPOCHREALTIME}"
  echo "$line"
  echo "$line" >>"$side"
  read -r -t "$delay" -u "$pause"
done
