#!/usr/bin/env bash
# Every result document the tests before this one left (tcpecho's, the runner's records),
# audited by lib.sh as each test ended: stall time never exceeds elapsed time.
. "$(dirname "$0")/lib.sh"
plan 2
A=${PROBELOCK_STALL_AUDIT:-}
if [ -z "$A" ] || [ ! -f "$A" ]; then
	ok 1 "make test sets PROBELOCK_STALL_AUDIT and the tests before this one wrote it (${A:-unset})"
	ok 1 "stall time within elapsed time"
	done_testing
	exit
fi
n=$(awk '/^audited /{s += $2} END {print s + 0}' "$A")
ok "$([ "$n" -gt 0 ]; echo $?)" "$n result documents audited"
over=$(grep '^over ' "$A")
is "$over" "" "in none of them is stall.total_s above elapsed_s"
done_testing
