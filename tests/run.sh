#!/bin/sh
# tests/run.sh [--unit-only] BUILD [SANITIZER_BUILD]
#
# Runs every unit test binary in BUILD/tests, every shell suite under
# tests/cli, tests/integration and tests/fuzz (with CORSGATE=BUILD/corsgate;
# CORSGATE_SAN=SANITIZER_BUILD/corsgate when built), then the
# unit tests again from SANITIZER_BUILD. Prints one line per suite and
# closes with "N passed, N failed". Exits 1 if anything failed or a suite
# crashed or printed no count.
set -u
cd "$(dirname "$0")/.."
umask 022 # scripts writable by group or others are refused (see lib.sh)
unit_only=""
[ "${1:-}" = --unit-only ] && { unit_only=1; shift; }
B=${1:-build}
SAN=${2:-}
export CORSGATE="$PWD/$B/corsgate"
[ -n "$SAN" ] && [ -x "$SAN/corsgate" ] && export CORSGATE_SAN="$PWD/$SAN/corsgate"
LOG=$B/test-logs
mkdir -p "$LOG"
P=0
F=0
broken=""

note() { printf '%-40s %s\n' "$1" "$2"; }

run_unit() { # $1 binary, $2 label
	out=$LOG/$2.log
	CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$1" >"$out" 2>&1
	rc=$?
	ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\..*/\1/p' "$out" | tail -n 1)
	ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$out" | tail -n 1)
	if [ -z "$ran" ]; then
		broken="$broken $2"
		F=$((F + 1))
		note "$2" "CRASHED (rc $rc), see $out"
		tail -n 20 "$out"
		return
	fi
	ok=${ok:-0}
	bad=$((ran - ok))
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
	P=$((P + ok))
	F=$((F + bad))
	note "$2" "$ok passed, $bad failed"
	[ "$bad" -eq 0 ] || grep -E '^\[  (FAILED|ERROR) |^\[  ERROR|Failure|error:' "$out" | head -n 40
	# sanitizer reports fail the run even when cmocka counted a pass
	if grep -q 'runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer' "$out"; then
		F=$((F + 1))
		note "$2" "SANITIZER REPORT, see $out"
		grep -A5 'runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer' "$out" | head -n 30
	fi
}

run_suite() { # $1 script
	name=$(basename "$1" .sh)
	out=$LOG/$name.log
	T_SUITE=$name timeout 900 sh "$1" >"$out" 2>&1
	rc=$?
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$out" | tail -n 1)
	if [ -z "$line" ]; then
		F=$((F + 1))
		note "$name" "CRASHED (rc $rc), see $out"
		tail -n 30 "$out"
		return
	fi
	ok=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
	bad=$(echo "$line" | sed 's/.* \([0-9]*\) failed$/\1/')
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
	P=$((P + ok))
	F=$((F + bad))
	note "$name" "$ok passed, $bad failed"
	[ "$bad" -eq 0 ] || grep -A4 '^FAIL ' "$out" | head -n 60
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] && run_unit "$t" "$(basename "$t")"
done
if [ -z "$unit_only" ]; then
	for s in tests/cli/*.sh tests/integration/*.sh tests/fuzz/*.sh; do
		[ -f "$s" ] && run_suite "$s"
	done
fi
if [ -n "$SAN" ]; then
	for t in "$SAN"/tests/test_*; do
		[ -x "$t" ] && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_unit "$t" "asan+ubsan $(basename "$t")"
	done
fi
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
