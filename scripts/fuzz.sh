#!/bin/sh
# scripts/fuzz.sh FUZZ_BUILD SECONDS NAME... - runs each libFuzzer harness
# FUZZ_BUILD/fuzz_NAME for SECONDS on its seeds (fuzz/NAME/) with its
# dictionary (fuzz/NAME.dict). New inputs go to FUZZ_BUILD/corpus/NAME
# (the seeds in the tree are never written), a crash to
# FUZZ_BUILD/artifacts/NAME-crash-*. Prints one line per harness; exits 1
# when any harness crashed or could not run.
set -u
cd "$(dirname "$0")/.."
B=$1
S=$2
shift 2
bad=""
for n in "$@"; do
	mkdir -p "$B/corpus/$n" "$B/artifacts"
	log=$B/artifacts/$n.log
	dict=""
	[ -f "fuzz/$n.dict" ] && dict="-dict=fuzz/$n.dict"
	# shellcheck disable=SC2086
	"$B/fuzz_$n" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$B/artifacts/$n-" $dict \
		"$B/corpus/$n" "fuzz/$n" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz %-12s ok, %s runs in %s s\n' "$n" "${runs:-?}" "$S"
	else
		printf 'fuzz %-12s FAILED (rc %s), see %s\n' "$n" "$rc" "$log"
		grep -E 'ERROR|invariant|runtime error|Test unit written' "$log" | head -n 10
		bad="$bad $n"
	fi
done
[ -z "$bad" ] || { echo "fuzz: crashed:$bad"; exit 1; }
