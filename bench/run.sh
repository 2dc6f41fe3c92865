#!/bin/sh
# bench/run.sh BUILD - runs every bench/*.sh part with BUILD's binaries.
# Prints figures and ratios; never fails on speed.
set -u
cd "$(dirname "$0")/.."
B="${1:-build}"
case $B in /*) ;; *) B="$PWD/$B" ;; esac
export B
export CORSGATE="$B/corsgate"
for part in bench/*.sh; do
	[ "$part" = bench/run.sh ] && continue
	echo "== $(basename "$part" .sh)"
	sh "$part" || echo "(part $part failed)"
done
