#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD SECONDS TARGET...: runs each libFuzzer target for
# SECONDS on a work copy of its corpus (BUILD/corpus/T, seeded from
# tests/fuzz/corpus/T), and prints per target the executions, the corpus size
# and whether it crashed (the input is kept in BUILD/crashes/). Exit 1 when
# any target crashed, leaked or timed out.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$1 SECONDS_EACH=$2
shift 2
rc=0
printf '%-10s %12s %10s %8s  %s\n' target executions "corpus" "exec/s" result
for t in "$@"; do
	bin="$BUILD/tests/fuzz/fuzz_$t" work="$BUILD/corpus/$t" crashes="$BUILD/crashes"
	mkdir -p "$work" "$crashes"
	cp -n "$HERE/corpus/$t/"* "$work/" 2>/dev/null
	dict=()
	[ -f "$HERE/$t.dict" ] && dict=(-dict="$HERE/$t.dict")
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$crashes/$t-" -print_final_stats=1 "${dict[@]}" "$work" >"$BUILD/fuzz-$t.log" 2>&1
	st=$?
	runs=$(awk '/^stat::number_of_executed_units:/{print $2}' "$BUILD/fuzz-$t.log")
	eps=$(awk '/^stat::average_exec_per_sec:/{print $2}' "$BUILD/fuzz-$t.log")
	files=$(find "$work" -type f | wc -l)
	if [ "$st" -eq 0 ]; then
		res=ok
	else
		res="FAILED (exit $st): $(grep -m1 -E 'ERROR: |SUMMARY: ' "$BUILD/fuzz-$t.log"); input in $crashes/, log $BUILD/fuzz-$t.log"
		rc=1
	fi
	printf '%-10s %12s %10s %8s  %s\n' "$t" "${runs:-?}" "$files files" "${eps:-?}" "$res"
done
exit $rc
