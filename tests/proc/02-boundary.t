#!/usr/bin/env bash
# Sweep the payload for fixed buffers (16384 both ends, server app buffer 8192)
# and find the deadlock boundary of the blocking client. Near the boundary lies
# a narrow band where the verdict depends on scheduling (how much the server
# thread echoes before the client's receive buffer fills), so the test asserts
# a band: everything below it completes, everything above it deadlocks, and the
# band is at most two grid steps wide. No other mode deadlocks anywhere, and no
# completed transfer carries a deadlock verdict.
. "$(dirname "$0")/lib.sh"

GRID=$(seq 20000 10000 200000)
MODES=(nonblocking chunked split aware)
npoints=$(echo $GRID | wc -w)
plan $((4 + ${#MODES[@]} + 1))

start_echod S --mode blocking --app-buf 8192 --sndbuf 16384 --rcvbuf 16384
run() { # run MODE PAYLOAD -> "outcome deadlock-null?" on stdout
	"$BIN/tcpecho" -p "$S_PORT" --sndbuf 16384 --rcvbuf 16384 -a 30 --mode "$1" --payload "$2" \
		--json 127.0.0.1 >"$TMP/r.json"
	echo "$(json "$TMP/r.json" '$d->{outcome}') $(json "$TMP/r.json" '$d->{deadlock} ? "verdict" : "none"')"
}

lowest_dl="" highest_ok="" bad_outcome="" false_verdict=""
line=""
for p in $GRID; do
	read -r out verdict < <(run blocking "$p")
	line="$line $((p / 1000))k:${out:0:4}"
	case $out in
	completed)
		highest_ok=$p
		[ "$verdict" = none ] || false_verdict="$false_verdict $p"
		;;
	deadlock) [ -z "$lowest_dl" ] && lowest_dl=$p ;;
	*) bad_outcome="$bad_outcome $p:$out" ;;
	esac
done
diag "blocking:$line"
is "$bad_outcome" "" "blocking: every payload either completes or deadlocks"
ok $([ -n "$lowest_dl" ] && [ -n "$highest_ok" ]; echo $?) "blocking: both outcomes occur on the grid"
diag "boundary band: lowest deadlock ${lowest_dl}, highest completion ${highest_ok}"
ok $([ -n "$lowest_dl" ] && [ $((highest_ok - lowest_dl)) -le 20000 ]; echo $?) \
	"blocking: completions below, deadlocks above, band at most 2 grid steps"
is "$false_verdict" "" "blocking: no deadlock verdict on any completed transfer"

for mode in "${MODES[@]}"; do
	fails=""
	for p in $GRID; do
		read -r out verdict < <(run "$mode" "$p")
		[ "$out:$verdict" = "completed:none" ] || fails="$fails $p:$out:$verdict"
	done
	is "$fails" "" "$mode: all $npoints payloads complete, verified, no deadlock verdict"
done

# The draft's own numbers bracket the band.
ok $([ -n "$lowest_dl" ] && [ "$lowest_dl" -gt 60000 ] && [ "$highest_ok" -lt 300000 ]; echo $?) \
	"60000 lies below the band and 300000 above it"
done_testing
