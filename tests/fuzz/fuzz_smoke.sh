#!/bin/sh
# fuzz_smoke.sh - each libFuzzer harness (fuzz/, built by `make
# fuzz-build` into $FUZZ_B) replays its seeds and fuzzes for
# FUZZ_SMOKE_S seconds (5): `make check`'s short run. `make fuzz` is the
# long one (FUZZ_S, 60 s each).
. tests/lib.sh
FUZZ_B=${FUZZ_B:-build-fuzz}
FUZZERS=${FUZZERS:-$(sed -n 's/^FUZZERS *= *//p' Makefile)}
S=${FUZZ_SMOKE_S:-5}
T=$(mktemp -d /tmp/corsgate-fuzz.XXXXXX)
cleanup_add "rm -rf '$T'"
for n in $FUZZERS; do
	if [ ! -x "$FUZZ_B/fuzz_$n" ]; then
		fail "fuzz $n: built" "no $FUZZ_B/fuzz_$n (make fuzz-build)"
		continue
	fi
	check_eq "fuzz $n: seeds in the tree" yes \
		"$([ -n "$(ls "fuzz/$n" 2>/dev/null)" ] && [ -f "fuzz/$n.dict" ] && echo yes || echo no)"
	mkdir -p "$T/$n"
	if "$FUZZ_B/fuzz_$n" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$T/$n-" -dict="fuzz/$n.dict" "$T/$n" "fuzz/$n" \
		>"$T/$n.log" 2>&1; then
		pass "fuzz $n: $S s, no crash"
	else
		fail "fuzz $n: $S s, no crash" \
			"$(grep -E 'ERROR|invariant|runtime error|SUMMARY' "$T/$n.log" | head -n 8)"
		cp "$T/$n"-* "${T_LOGDIR:-/tmp}/" 2>/dev/null
	fi
done
finish
