# tests/lib.sh - sourced by the shell test suites.
#
# A suite calls pass/fail (or the check_* helpers) once per case and ends
# with `finish`, which prints "SUITE: N passed, N failed" and exits non-zero
# on any failure. Every process a suite starts is registered with
# `cleanup_add` and stopped on exit, failure included.

# Files and directories the suites make are not group- or world-writable,
# whatever the caller's umask: corsgate refuses such scripts (suEXEC's
# rule), so a umask of 002 would turn every script into a 403.
umask 022

T_PASS=0
T_FAIL=0
T_SUITE=${T_SUITE:-$(basename "$0" .sh)}
T_CLEANUP=""

pass() { T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() {
	T_FAIL=$((T_FAIL + 1))
	printf 'FAIL %s\n' "$1"
	shift
	for l in "$@"; do printf '     %s\n' "$l"; done
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "got:      $3"; fi
}

# check_contains NAME HAYSTACK NEEDLE  (fixed string)
check_contains() {
	case "$2" in
	*"$3"*) pass "$1" ;;
	*) fail "$1" "missing: $3" "in:" "$(printf '%s\n' "$2" | sed 's/^/       /')" ;;
	esac
}

# check_lacks NAME HAYSTACK NEEDLE
check_lacks() {
	case "$2" in
	*"$3"*) fail "$1" "unexpected: $3" "in:" "$(printf '%s\n' "$2" | sed 's/^/       /')" ;;
	*) pass "$1" ;;
	esac
}

# cleanup_add 'shell command' - run at exit, last added first.
cleanup_add() { T_CLEANUP="$1
$T_CLEANUP"; }

t_run_cleanup() {
	printf '%s\n' "$T_CLEANUP" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	T_CLEANUP=""
}
trap 't_run_cleanup' EXIT
trap 't_run_cleanup; exit 130' INT TERM

# wait_for SECONDS 'shell condition' - polls every 0.1 s, at most SECONDS.
wait_for() {
	_n=$(($1 * 10))
	while [ "$_n" -gt 0 ]; do
		if eval "$2" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# free_port - a loopback TCP port nobody listens on now.
free_port() {
	python3 - <<'PY' 2>/dev/null || echo $((20000 + $$ % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

finish() {
	printf '%s: %d passed, %d failed\n' "$T_SUITE" "$T_PASS" "$T_FAIL"
	[ "$T_FAIL" -eq 0 ]
}
