#!/bin/sh
# bench/run.sh BUILD - runs every bench/*.sh part with BUILD's binaries
# (not bench/lib.sh, which the parts source).
# Prints figures and ratios; never fails on speed.
set -u
cd "$(dirname "$0")/.." || exit 1
B="${1:-build}"
case $B in /*) ;; *) B="$PWD/$B" ;; esac
export B
export CORSGATE="$B/corsgate"
for part in bench/*.sh; do
	case $part in bench/run.sh | bench/lib.sh) continue ;; esac
	echo "== $(basename "$part" .sh)"
	sh "$part" || echo "(part $part failed)"
done
