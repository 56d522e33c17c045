#!/usr/bin/env bash
# The fuzz targets' corpora (tests/fuzz/corpus/T: the seeds and every input a
# fuzzing run added or crashed on) replayed through the same entry points
# that `make fuzz` fuzzes, built here with the test build's compiler and
# sanitizers: a crash, a sanitizer report or a leak (under SAN=1) fails.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$HERE/../fuzz/corpus
REPLAY=$BIN/../tests/fuzz
targets=(scenario capture packet units clientopt serveropt results)
plan ${#targets[@]}
for t in "${targets[@]}"; do
	n=$(find "$CORPUS/$t" -type f | wc -l)
	"$REPLAY/replay_$t" "$CORPUS/$t" >"$TMP/$t.tap" 2>"$TMP/$t.err"
	rc=$?
	ran=$(grep -c '^ok ' "$TMP/$t.tap")
	[ "$rc" -ne 0 ] && diag "$t: $(tail -5 "$TMP/$t.err")"
	is "$rc:$ran" "0:$n" "$t: all $n corpus inputs replayed without a crash or sanitizer report"
done
done_testing
